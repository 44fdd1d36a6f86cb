# Fibonacci numbers with a for loop and with recursion.
n <- 15
fib <- numeric(n)
fib[1:2] <- 1
for (i in 3:n) fib[i] <- fib[i - 1] + fib[i - 2]
print(fib)
rfib <- function(k) if (k <= 2) 1 else rfib(k - 1) + rfib(k - 2)
stopifnot(rfib(10) == fib[10])
