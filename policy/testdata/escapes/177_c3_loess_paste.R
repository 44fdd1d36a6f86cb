# escape: loess with a computed formula string
# expect: 4:7 dynamic:call
d <- data.frame(y = 1:6, x = c(2, 1, 4, 3, 6, 5))
loess(paste("y ~ x +", "Sys.getenv('HOME')"), d)
