# aggregate with a formula and a named function.
print(aggregate(mpg ~ cyl, data = mtcars, FUN = mean))
print(aggregate(cbind(mpg, hp) ~ am, data = mtcars, FUN = median))
