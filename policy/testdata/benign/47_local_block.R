# local() keeps helper variables out of the workspace.
total <- local({
  a <- 1:10
  b <- a^2
  sum(b)
})
print(total)
print(total / 5)
