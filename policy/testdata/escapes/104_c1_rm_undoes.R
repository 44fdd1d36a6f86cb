# escape: rm() removes a binding, so the name reaches base again
# expect: 5:4 base::Sys.getenv
# expect: 6:6 base::Sys.getenv
Sys.getenv <- 1
rm(Sys.getenv)
h <- Sys.getenv
h("HOME")
