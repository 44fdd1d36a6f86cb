# escape: an assignment on the right of || may not run
# expect: 4:6 base::Sys.getenv
TRUE || (Sys.getenv <- 1)
h <- Sys.getenv
h("HOME")
