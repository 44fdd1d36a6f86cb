# Input checks with stopifnot.
check <- function(x) {
  stopifnot(is.numeric(x), length(x) > 0, all(x >= 0))
  sqrt(x)
}
print(check(c(4, 9)))
print(tryCatch(check(-1), error = function(e) "rejected"))
