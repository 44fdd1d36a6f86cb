# saveRDS then readRDS of the same literal path in the next statement.
m <- matrix(1:6, 2)
saveRDS(m, "m.rds")
back <- readRDS("m.rds")
print(identical(m, back))
unlink("m.rds")
