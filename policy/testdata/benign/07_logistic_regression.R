# Logistic regression with glm and a confusion table.
fit <- glm(am ~ wt, data = mtcars, family = binomial)
p <- predict(fit, type = "response")
pred <- ifelse(p > 0.5, 1, 0)
print(table(observed = mtcars$am, predicted = pred))
print(round(coef(summary(fit)), 3))
