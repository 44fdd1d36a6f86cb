# sapply with an inline function.
x <- c(3, 8, 15)
print(sapply(x, function(v) v %% 4))
print(vapply(x, \(v) v * 2, numeric(1)))
