# with() and within() on a data frame.
d <- data.frame(a = 1:4, b = c(2, 4, 6, 8))
print(with(d, sum(a * b)))
d2 <- within(d, { ratio <- b / a })
print(d2)
