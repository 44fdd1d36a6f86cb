# escape: glm with a computed formula string
# expect: 4:5 dynamic:call
d <- data.frame(y = 1:3)
glm(paste0("y ~ ", "Sys.getenv('HOME')"), data = d)
