# optimize and integrate with functions of the script.
f <- function(x) (x - 2)^2 + 1
print(round(optimize(f, c(0, 5))$minimum, 3))
print(round(integrate(function(t) t^2, 0, 3)$value, 4))
