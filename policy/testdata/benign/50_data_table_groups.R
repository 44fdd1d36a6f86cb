# data.table: a grouped mean added by reference.
library(data.table)
dt <- data.table(g = c("a", "b", "a", "b"), x = c(1, 2, 3, 4))
dt[, m := mean(x), by = g]
print(dt)
print(dt[x > 1, .(n = .N, s = sum(x)), by = g][order(g)])
