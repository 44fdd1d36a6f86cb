# escape: aggregate's na.action given as a computed name is looked up and called by model.frame
# expect: 4:54 dynamic:call
d <- data.frame(x = 1:4, g = c(1, 1, 2, 2))
aggregate(x ~ g, data = d, FUN = length, na.action = paste0("Sys.", "getenv"))
