# escape: an assignment in one branch only
# expect: 4:6 base::Sys.getenv
if (FALSE) Sys.getenv <- 1
h <- Sys.getenv
h("HOME")
