# escape: assign system under a new name
# expect: 4:1 base::assign
# expect: 4:15 base::system
assign("run", system)
run("id")
