# escape: lm inside with() with a computed formula
# expect: 4:12 dynamic:call
d <- data.frame(y = 1:3)
with(d, lm(sprintf("y ~ %s", "Sys.getenv('HOME')")))
