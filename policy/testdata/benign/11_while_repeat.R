# Collatz steps with while and repeat.
collatz <- function(n) {
  steps <- 0
  while (n != 1) {
    n <- if (n %% 2 == 0) n / 2 else 3 * n + 1
    steps <- steps + 1
  }
  steps
}
print(sapply(1:10, collatz))
i <- 0
repeat {
  i <- i + 1
  if (i >= 5) break
}
print(i)
