# escape: a string assignment target in a branch
# expect: 4:6 base::Sys.getenv
if (FALSE) "Sys.getenv" <- 1
h <- Sys.getenv
h("HOME")
