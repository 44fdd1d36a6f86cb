# escape: bind system to another name and call that
# expect: 3:8 base::system
run <- system
run("id")
