# escape: an assignment in a while body that never runs
# expect: 4:6 base::Sys.getenv
while (FALSE) Sys.getenv <- 0
h <- Sys.getenv
h("HOME")
