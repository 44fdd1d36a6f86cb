# escape: do.call(envir =) with a computed environment
# expect: 4:31 dynamic:call
e <- attributes(~0)[[2]]
do.call("ls", list(), envir = e)
