# escape: local(envir =) with a computed environment
# expect: 4:21 dynamic:call
e <- attributes(~0)[[2]]
local(ls(), envir = e)
