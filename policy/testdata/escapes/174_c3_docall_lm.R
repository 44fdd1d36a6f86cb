# escape: do.call(lm) with a computed formula in the argument list
# expect: 4:20 dynamic:call
d <- data.frame(y = 1:3)
do.call("lm", list(paste("y ~", "Sys.getenv('HOME')"), data = d))
