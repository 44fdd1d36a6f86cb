# Principal components of USArrests.
pc <- prcomp(USArrests, scale. = TRUE)
print(round(pc$sdev^2 / sum(pc$sdev^2), 3))
print(round(head(pc$x[, 1:2]), 3))
