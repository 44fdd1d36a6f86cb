# A function factory and the functions it returns.
make_adder <- function(k) function(x) x + k
add2 <- make_adder(2)
add10 <- make_adder(10)
print(add2(1))
print(add10(1))
print(sapply(1:3, function(v) add2(v)))
