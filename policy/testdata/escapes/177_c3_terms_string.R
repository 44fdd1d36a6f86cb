# escape: terms of a computed formula
# expect: 3:7 dynamic:call
terms(paste("~", "Sys.getenv('HOME')"))
