# mapply with MoreArgs.
r <- mapply(function(x, y, z) x + y * z, 1:3, 4:6, MoreArgs = list(z = 10))
print(r)
