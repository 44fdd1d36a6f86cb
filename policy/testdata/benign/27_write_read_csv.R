# Write a CSV into the working directory and read it back.
out <- data.frame(id = 1:5, value = c(2.5, 3.1, 4.8, 1.2, 9.9))
write.csv(out, "values.csv", row.names = FALSE)
back <- read.csv("values.csv")
stopifnot(identical(dim(back), dim(out)))
print(back[back$value > 3, ])
print(file.exists("values.csv"))
