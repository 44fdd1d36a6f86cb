# escape: aggregate data frame method with a computed FUN
# expect: 3:48 dynamic:call
aggregate(data.frame(x = "HOME"), list(g = 1), paste0("Sys.", "getenv"))
