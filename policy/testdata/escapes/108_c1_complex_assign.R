# escape: names(x) <- v reads x from base first
# expect: 3:6 base::Sys.getenv
attr(Sys.getenv, "a") <- 1
h <- Sys.getenv
h("HOME")
