# Bin a numeric variable and count.
ages <- c(5, 17, 18, 25, 34, 47, 52, 65, 71, 88)
groups <- cut(ages, breaks = c(0, 17, 34, 64, Inf), labels = c("child", "young", "middle", "senior"))
print(table(groups))
print(tapply(ages, groups, mean))
