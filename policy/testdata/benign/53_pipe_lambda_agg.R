# A pipe ending in an anonymous function.
res <- split(mtcars$mpg, mtcars$cyl) |> lapply(mean) |> unlist()
print(round(res, 2))
c(1, 2, 3) |> (\(v) v * 10)() |> print()
