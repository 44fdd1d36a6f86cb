# k-means clustering of iris measurements.
set.seed(123)
km <- kmeans(iris[, 1:4], centers = 3, nstart = 5)
print(table(km$cluster, iris$Species))
print(round(km$tot.withinss, 2))
