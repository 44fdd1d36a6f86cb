# data.table: keyed join and ordering.
library(data.table)
a <- data.table(id = c(3, 1, 2), v = c("c", "a", "b"))
b2 <- data.table(id = 1:3, w = c(10, 20, 30))
setkey(a, id)
setkey(b2, id)
print(a[b2])
print(a[order(-id)])
