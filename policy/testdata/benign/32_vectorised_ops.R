# Vectorised arithmetic, cumulative sums and logical indexing.
x <- c(5, 3, 8, 1, 9, 2)
print(cumsum(x))
print(x[x > mean(x)])
print(which(x == max(x)))
print(rev(sort(x)))
print(pmax(x, 4))
print(any(x > 8), all(x > 0))
