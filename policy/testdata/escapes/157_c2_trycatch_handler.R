# escape: tryCatch with a computed handler
# expect: 3:32 dynamic:call
tryCatch(stop("HOME"), error = paste0("Sys.", "getenv"))
