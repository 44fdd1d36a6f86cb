# Sequences, repetition and set operations.
a <- seq(2, 20, by = 2)
b <- seq_len(10)
print(intersect(a, b))
print(setdiff(b, a))
print(union(a[1:3], c(1, 3)))
print(rep(c("x", "y"), times = c(2, 3)))
print(5 %in% a)
print(unique(c(3, 1, 3, 2, 1)))
