# escape: numericDeriv(rho =) with a computed environment
# expect: 5:35 dynamic:call
e <- attributes(~0)[[2]]
a <- 1
numericDeriv(quote(a), "a", rho = e)
