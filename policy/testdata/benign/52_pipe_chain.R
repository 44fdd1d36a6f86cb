# Native pipes through base functions.
x <- c(4, 9, 16, 25)
x |> sqrt() |> sum() |> print()
mtcars |> subset(cyl == 4, select = c(mpg, wt)) |> head(3) |> print()
