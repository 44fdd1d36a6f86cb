# Draw a histogram and a scatter plot into a PNG file.
png("plot.png", width = 400, height = 300)
hist(faithful$eruptions, breaks = 20, main = "Eruptions", col = "grey")
dev.off()
png("scatter.png")
plot(mtcars$wt, mtcars$mpg, xlab = "weight", ylab = "mpg", pch = 19)
abline(lm(mpg ~ wt, data = mtcars), col = "red")
dev.off()
print(file.exists(c("plot.png", "scatter.png")))
