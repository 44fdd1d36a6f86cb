# escape: lm with a formula string in a variable
# expect: 5:4 dynamic:call
d <- data.frame(y = 1:3)
f <- "y ~ Sys.getenv('HOME')"
lm(f, data = d)
