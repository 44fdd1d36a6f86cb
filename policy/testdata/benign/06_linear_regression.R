# Fit and summarise a linear model on a built-in data set.
fit <- lm(mpg ~ wt + hp, data = mtcars)
print(coef(fit))
s <- summary(fit)
print(round(s$r.squared, 3))
print(anova(fit))
newd <- data.frame(wt = c(2.5, 3), hp = c(100, 150))
print(predict(fit, newdata = newd))
