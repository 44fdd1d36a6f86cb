# Build a data frame, add a column, filter and sort it.
df <- data.frame(name = c("a", "b", "c", "d"), x = c(3, 1, 4, 1), y = c(2.5, 3.5, 1.0, 0.5))
df$z <- df$x * df$y
big <- df[df$z > 1, ]
big <- big[order(-big$z), ]
print(big)
print(nrow(big))
print(colnames(df))
