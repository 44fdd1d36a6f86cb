# escape: mapply with a computed function
# expect: 3:8 dynamic:call
mapply(paste0("Sys.", "getenv"), "HOME")
