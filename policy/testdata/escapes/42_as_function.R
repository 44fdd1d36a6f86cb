# escape: make a function from a list
# expect: 5:18 dynamic:call
# expect: 5:30 base::system
# expect: 5:6 base::as.function
g <- as.function(alist(x = , system(x)))
g("id")
