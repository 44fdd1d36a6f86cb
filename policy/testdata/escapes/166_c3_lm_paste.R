# escape: lm with a computed formula string
# expect: 4:4 dynamic:call
d <- data.frame(y = 1:3)
lm(paste("y ~", "Sys.getenv('HOME')"), data = d)
