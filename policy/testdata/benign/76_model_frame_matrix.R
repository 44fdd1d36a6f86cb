# model.frame and model.matrix from a literal formula.
d <- data.frame(y = 1:4, g = factor(c("a", "b", "a", "b")))
mf <- model.frame(y ~ g, data = d)
print(mf)
print(model.matrix(y ~ g, data = d))
