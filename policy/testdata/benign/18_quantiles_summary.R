# Descriptive statistics.
set.seed(7)
x <- rexp(200, rate = 0.5)
print(summary(x))
print(quantile(x, c(0.05, 0.5, 0.95)))
print(c(mean = mean(x), sd = sd(x), median = median(x), iqr = IQR(x)))
print(fivenum(x))
