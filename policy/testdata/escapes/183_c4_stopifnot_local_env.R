# escape: stopifnot with a computed environment
# expect: 4:25 dynamic:call
e <- attributes(~0)[[2]]
stopifnot(TRUE, local = e)
