# A literal formula string is parsed and checked like code.
fit <- lm("dist ~ speed", data = cars)
print(round(coef(fit), 3))
