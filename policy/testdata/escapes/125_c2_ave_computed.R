# escape: ave with a computed FUN
# expect: 3:14 dynamic:call
ave(1, FUN = paste0("Sys.", "getenv"))
