# escape: a default argument naming a package function
# expect: 3:19 base::Sys.getenv
f <- function(h = Sys.getenv) h("HOME")
f()
