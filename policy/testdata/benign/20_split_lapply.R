# Split-apply-combine by hand.
parts <- split(mtcars$mpg, mtcars$cyl)
means <- sapply(parts, mean)
print(round(means, 2))
res <- do.call(rbind, lapply(names(parts), function(k) data.frame(cyl = k, n = length(parts[[k]]))))
print(res)
