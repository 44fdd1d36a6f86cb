# escape: lm with a formula string that calls Sys.getenv
# expect: 4:4 base::Sys.getenv
d <- data.frame(y = 1:3)
lm("y ~ Sys.getenv('HOME')", data = d)
