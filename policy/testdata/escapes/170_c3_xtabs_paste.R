# escape: xtabs with a computed formula
# expect: 4:7 dynamic:call
d <- data.frame(g = 1:3)
xtabs(paste("~", "Sys.getenv('HOME')"), d)
