# escape: model.frame with a formula string
# expect: 4:13 base::Sys.getenv
d <- data.frame(y = 1:3)
model.frame("y ~ Sys.getenv('HOME')", d)
