# Group means with aggregate() and tapply().
set.seed(1)
d <- data.frame(g = rep(c("ctl", "trt"), each = 10), v = rnorm(20, mean = rep(c(5, 6), each = 10)))
print(aggregate(v ~ g, data = d, FUN = mean))
print(tapply(d$v, d$g, sd))
print(table(d$g))
