# Two-sample and paired t-tests.
set.seed(42)
a <- rnorm(30, 10, 2)
b <- rnorm(30, 11, 2)
r <- t.test(a, b)
print(round(r$p.value, 4))
print(t.test(a, b, paired = TRUE)$statistic)
print(wilcox.test(a, b)$p.value < 1)
