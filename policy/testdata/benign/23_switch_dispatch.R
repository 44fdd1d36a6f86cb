# switch() on a string argument.
area <- function(shape, a, b = a) {
  switch(shape,
    square = a * a,
    rect = a * b,
    circle = pi * a^2,
    stop("unknown shape: ", shape)
  )
}
print(area("square", 3))
print(area("rect", 2, 5))
print(round(area("circle", 1), 4))
r <- tryCatch(area("hexagon", 1), error = function(e) conditionMessage(e))
print(r)
