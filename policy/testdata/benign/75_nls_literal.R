# nls with a literal formula and start values.
x <- 1:8
y <- c(2.1, 3.9, 6.2, 7.8, 10.1, 12.2, 13.8, 16.1)
fit <- nls(y ~ a * x + b, start = list(a = 1, b = 0))
print(round(coef(fit), 3))
