# escape: an assignment in a call argument is a promise never forced
# expect: 4:6 base::Sys.getenv
identity(Sys.getenv <- 1)
h <- Sys.getenv
h("HOME")
