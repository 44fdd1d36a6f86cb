# Correlation matrix and a correlation test on iris.
num <- iris[, 1:4]
print(round(cor(num), 2))
ct <- cor.test(iris$Sepal.Length, iris$Petal.Length)
print(round(ct$estimate, 3))
print(round(cor(num, method = "spearman")[1, ], 2))
