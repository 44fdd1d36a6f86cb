# escape: Negate of a computed function
# expect: 4:1 dynamic:call
# expect: 4:8 dynamic:call
Negate(paste0("Sys.", "getenv"))("HOME")
