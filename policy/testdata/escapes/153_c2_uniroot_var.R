# escape: uniroot with a variable function name
# expect: 4:9 dynamic:call
h <- "Sys.getenv"
uniroot(h, c(0, 1))
