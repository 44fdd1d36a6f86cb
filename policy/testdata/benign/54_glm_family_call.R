# glm with a family object.
d <- data.frame(y = c(0, 0, 1, 1, 1, 0, 1, 1), x = c(1, 2, 3, 4, 5, 2, 6, 7))
fit <- glm(y ~ x, data = d, family = binomial(link = "logit"))
print(round(coef(fit), 3))
fit2 <- glm(y ~ x, data = d, family = binomial)
print(all.equal(coef(fit), coef(fit2)))
