# Contingency tables with xtabs.
d <- data.frame(a = c("x", "y", "x", "x"), b = c("u", "u", "v", "v"))
print(xtabs(~ a + b, data = d))
