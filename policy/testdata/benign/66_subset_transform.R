# subset() and transform().
d <- data.frame(name = c("p", "q", "r"), score = c(71, 88, 93))
print(subset(d, score > 80))
print(transform(d, passed = score >= 75))
