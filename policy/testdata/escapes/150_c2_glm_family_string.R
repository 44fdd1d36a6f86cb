# escape: glm's family given as a computed name is looked up with get()
# expect: 4:31 dynamic:call
d <- data.frame(y = 1:3, x = 1:3)
glm(y ~ x, data = d, family = paste0("Sys.", "getenv"))
