# Monte Carlo estimate of pi and a bootstrap mean.
set.seed(2024)
n <- 10000
u <- matrix(runif(2 * n), ncol = 2)
inside <- rowSums(u^2) <= 1
print(4 * mean(inside))
x <- rnorm(50, 3)
boot <- replicate(200, mean(sample(x, replace = TRUE)))
print(round(quantile(boot, c(0.025, 0.975)), 2))
