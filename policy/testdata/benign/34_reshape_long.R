# Reshape wide data to long form with stack() and reshape().
wide <- data.frame(id = 1:3, t1 = c(5, 6, 7), t2 = c(8, 9, 10))
long <- reshape(wide, direction = "long", varying = c("t1", "t2"), v.names = "score",
                timevar = "time", times = 1:2, idvar = "id")
print(long[order(long$id), ])
print(stack(wide[, c("t1", "t2")]))
