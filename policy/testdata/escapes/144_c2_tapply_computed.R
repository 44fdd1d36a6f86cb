# escape: tapply with a computed function
# expect: 3:19 dynamic:call
tapply("HOME", 1, paste0("Sys.", "getenv"))
