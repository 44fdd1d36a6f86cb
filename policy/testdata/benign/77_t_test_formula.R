# Two-sample t test with a formula.
set.seed(1)
d <- data.frame(v = c(rnorm(10, 0), rnorm(10, 1)), g = rep(c("a", "b"), each = 10))
tt <- t.test(v ~ g, data = d)
print(round(tt$statistic, 4))
