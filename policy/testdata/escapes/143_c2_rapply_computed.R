# escape: rapply with a computed function
# expect: 3:22 dynamic:call
rapply(list("HOME"), paste0("Sys.", "getenv"), how = "unlist")
