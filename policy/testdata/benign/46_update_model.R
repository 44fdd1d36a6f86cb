# Refit a model with update(): add a term, then drop one.
d <- data.frame(y = c(1.2, 2.9, 3.1, 4.8, 5.2, 6.9), x = 1:6, z = c(1, 0, 1, 0, 1, 0))
fit <- lm(y ~ x, data = d)
fit2 <- update(fit, . ~ . + z)
print(round(coef(fit2), 4))
fit3 <- update(fit2, . ~ . - z)
print(all.equal(coef(fit), coef(fit3)))
