# escape: a formal that is not a function does not shadow the call
# expect: 3:27 base::Sys.getenv
f <- function(Sys.getenv) Sys.getenv("HOME")
f(1)
