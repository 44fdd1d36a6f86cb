# escape: formula() parses a character string
# expect: 3:6 stats::formula
f <- formula("y ~ x")
f
