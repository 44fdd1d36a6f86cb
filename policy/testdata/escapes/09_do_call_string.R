# escape: do.call with the function name as a string
# expect: 3:9 base::system
do.call("system", list("id"))
