# escape: aggregate data frame method with a computed FUN
# expect: 5:11 dynamic:call
# expect: 5:35 dynamic:call
# expect: 5:48 dynamic:call
aggregate(data.frame(x = "HOME"), list(g = 1), paste0("Sys.", "getenv"))
