# escape: rebind a function's environment to base
# expect: 5:17 base::system
# expect: 6:1 base::environment<-
# expect: 6:19 base::baseenv
f <- function() system("id")
environment(f) <- baseenv()
