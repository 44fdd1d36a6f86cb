# escape: match.fun with a variable
# expect: 5:1 dynamic:call
# expect: 5:11 dynamic:call
h <- "Sys.getenv"
match.fun(h)("HOME")
