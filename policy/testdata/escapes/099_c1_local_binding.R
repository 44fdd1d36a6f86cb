# escape: an assignment inside local() does not bind outside
# expect: 4:6 base::Sys.getenv
local(Sys.getenv <- 1)
h <- Sys.getenv
h("HOME")
