# Factors, levels and cross tables.
sizes <- factor(c("small", "large", "medium", "small", "large"), levels = c("small", "medium", "large"))
print(levels(sizes))
print(as.integer(sizes))
print(table(sizes))
colour <- c("red", "blue", "red", "red", "blue")
print(table(sizes, colour))
print(prop.table(table(colour)))
