# Memoisation with a fresh environment as a cache.
memo <- new.env()
slow_square <- function(n) {
  key <- as.character(n)
  if (!is.null(memo[[key]])) return(memo[[key]])
  val <- n^2
  memo[[key]] <- val
  val
}
print(slow_square(12))
print(slow_square(12))
print(sort(ls(memo)))
