# save() and load() of the same literal file.
a <- 1:3
b <- letters[1:3]
save(a, b, file = "ab.RData")
load("ab.RData")
print(a)
print(b)
unlink("ab.RData")
