# split a vector by groups and put it back.
x <- c(10, 20, 30, 40, 50, 60)
g <- rep(c("a", "b"), 3)
s <- split(x, g)
print(s)
print(unsplit(lapply(s, rev), g))
