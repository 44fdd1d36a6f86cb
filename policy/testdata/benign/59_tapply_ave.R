# Group summaries with tapply and ave.
g <- c("a", "b", "a", "b", "c")
x <- c(1, 5, 3, 7, 9)
print(tapply(x, g, sum))
print(ave(x, g, FUN = mean))
