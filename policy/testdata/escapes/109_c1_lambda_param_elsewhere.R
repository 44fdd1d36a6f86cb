# escape: a lambda's formal does not bind the name outside it
# expect: 4:6 base::Sys.getenv
sapply(1, \(Sys.getenv) Sys.getenv)
h <- Sys.getenv
h("HOME")
