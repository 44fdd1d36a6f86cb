# escape: an assignment after the use does not bind it
# expect: 3:6 base::Sys.getenv
h <- Sys.getenv
Sys.getenv <- 1
h("HOME")
