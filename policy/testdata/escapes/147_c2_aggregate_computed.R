# escape: aggregate with a computed FUN
# expect: 4:34 dynamic:call
d <- data.frame(x = 1, g = 1)
aggregate(x ~ g, data = d, FUN = paste0("Sys.", "getenv"))
