# escape: stats::optimize with a computed function
# expect: 3:17 dynamic:call
stats::optimize(paste0("Sys.", "getenv"), c(0, 1))
