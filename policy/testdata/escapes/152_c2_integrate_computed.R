# escape: integrate with a computed function
# expect: 3:11 dynamic:call
integrate(paste0("Sys.", "getenv"), 0, 1)
