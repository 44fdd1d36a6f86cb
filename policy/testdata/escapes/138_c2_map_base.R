# escape: base::Map with a computed function
# expect: 3:11 dynamic:call
base::Map(paste0("Sys.", "getenv"), "HOME")
