# escape: by with a computed function
# expect: 3:26 dynamic:call
by(data.frame(x = 1), 1, paste0("Sys.", "getenv"))
