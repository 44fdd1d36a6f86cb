# sapply, vapply, lapply and apply with built-in functions.
m <- matrix(1:12, nrow = 3)
print(apply(m, 1, sum))
print(apply(m, 2, max))
l <- list(a = 1:5, b = c(2.5, 3.5), c = 10)
print(sapply(l, mean))
print(vapply(l, length, integer(1)))
print(lapply(l, range))
print(unlist(lapply(1:3, function(i) i^2)))
