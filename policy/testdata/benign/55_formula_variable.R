# A formula kept in a variable and reused.
f <- mpg ~ wt + hp
fit <- lm(f, data = mtcars)
print(round(coef(fit), 4))
print(round(summary(fit)$r.squared, 4))
