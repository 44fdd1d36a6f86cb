# A closure keeping state with <<-.
make_counter <- function() {
  n <- 0
  function(by = 1) {
    n <<- n + by
    n
  }
}
counter <- make_counter()
counter()
counter(5)
print(counter())
