# escape: an assignment in the else branch only
# expect: 4:6 base::Sys.getenv
if (TRUE) NULL else Sys.getenv <- 1
h <- Sys.getenv
h("HOME")
