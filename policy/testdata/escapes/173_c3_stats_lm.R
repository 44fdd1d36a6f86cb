# escape: stats::lm with a computed formula
# expect: 4:11 dynamic:call
d <- data.frame(y = 1:3)
stats::lm(paste("y ~", "Sys.getenv('HOME')"), data = d)
