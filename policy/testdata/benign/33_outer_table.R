# Multiplication table with outer().
tab <- outer(1:9, 1:9)
dimnames(tab) <- list(1:9, 1:9)
print(tab[1:5, 1:5])
print(outer(1:3, 1:4, "+"))
