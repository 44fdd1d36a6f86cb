# escape: an assignment in a switch arm that is not taken
# expect: 4:6 base::Sys.getenv
switch("b", a = Sys.getenv <- 1, b = NULL)
h <- Sys.getenv
h("HOME")
