# escape: a top-level binding may be removed before the function runs
# expect: 5:17 base::Sys.getenv
# expect: 6:4 base::Sys.getenv
Sys.getenv <- 1
f <- function() Sys.getenv
rm(Sys.getenv)
h <- f()
h("HOME")
