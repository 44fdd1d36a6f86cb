# escape: Filter with a variable holding a name
# expect: 4:8 dynamic:call
h <- "Sys.getenv"
Filter(h, "HOME")
