# escape: base::lapply with a computed function
# expect: 3:22 dynamic:call
base::lapply("HOME", paste0("Sys.", "getenv"))
