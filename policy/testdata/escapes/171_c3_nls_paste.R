# escape: nls with a computed formula
# expect: 4:5 dynamic:call
d <- data.frame(y = 1:3, x = 1:3)
nls(paste("y ~ a * x +", "nchar(Sys.getenv('HOME'))"), d, start = list(a = 1))
