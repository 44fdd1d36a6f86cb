# escape: Reduce with a computed function
# expect: 3:8 dynamic:call
Reduce(paste0("Sys.", "getenv"), "HOME", accumulate = TRUE)
