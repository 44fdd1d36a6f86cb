# escape: rewrite the body of a function
# expect: 5:1 methods::body<-
# expect: 5:18 base::system
f <- function() 1
body(f) <- quote(system("id"))
f()
