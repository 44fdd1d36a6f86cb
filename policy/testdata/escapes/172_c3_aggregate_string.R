# escape: aggregate with a formula string
# expect: 4:11 base::Sys.getenv
d <- data.frame(x = 1:2, g = 1:2)
aggregate("x ~ Sys.getenv('HOME')", data = d, FUN = length)
