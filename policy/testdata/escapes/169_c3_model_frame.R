# escape: model.frame with a formula string
# expect: 5:13 base::Sys.getenv
# expect: 5:39 dynamic:call
d <- data.frame(y = 1:3)
model.frame("y ~ Sys.getenv('HOME')", d)
