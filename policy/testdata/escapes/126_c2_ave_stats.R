# escape: stats::ave with a computed FUN
# expect: 3:21 dynamic:call
stats::ave(1, FUN = paste0("Sys.", "getenv"))
