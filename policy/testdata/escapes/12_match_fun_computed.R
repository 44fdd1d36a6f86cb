# escape: match.fun resolving a computed name
# expect: 3:16 dynamic:call
f <- match.fun(paste0("sys", "tem"))
f("id")
