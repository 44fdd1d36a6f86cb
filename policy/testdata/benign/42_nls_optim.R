# Nonlinear least squares and optim on a simple curve.
set.seed(3)
x <- 1:20
y <- 5 * exp(-0.2 * x) + rnorm(20, sd = 0.05)
fit <- nls(y ~ a * exp(b * x), start = list(a = 4, b = -0.1))
print(round(coef(fit), 2))
loss <- function(p) sum((y - p[1] * exp(p[2] * x))^2)
o <- optim(c(4, -0.1), loss)
print(round(o$par, 2))
