# The native pipe and the short lambda syntax.
res <- mtcars |> subset(cyl == 4) |> nrow()
print(res)
sq <- \(v) v^2
print(sq(1:5))
print(c(1, 4, 9) |> sqrt() |> sum())
