# escape: outer with a computed function name
# expect: 3:18 dynamic:call
outer("HOME", 1, paste0("Sys.", "getenv"))
