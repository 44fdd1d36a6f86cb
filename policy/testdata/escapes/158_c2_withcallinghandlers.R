# escape: withCallingHandlers with a computed handler
# expect: 3:45 dynamic:call
withCallingHandlers(warning("w"), warning = paste0("Sys.", "getenv"))
