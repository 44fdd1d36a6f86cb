# escape: make a function from a list
# expect: 4:6 base::as.function
# expect: 4:30 base::system
g <- as.function(alist(x = , system(x)))
g("id")
