# Save an object with saveRDS and read it back.
model <- lm(dist ~ speed, data = cars)
saveRDS(coef(model), "coef.rds")
co <- readRDS("coef.rds")
print(round(co, 3))
unlink("coef.rds")
print(file.exists("coef.rds"))
