# escape: a formal of another function named Sys.getenv does not bind the name here
# expect: 4:6 base::Sys.getenv
f <- function(Sys.getenv) 1
h <- Sys.getenv
h("HOME")
