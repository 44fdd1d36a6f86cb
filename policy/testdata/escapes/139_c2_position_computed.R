# escape: Position with a computed function
# expect: 3:10 dynamic:call
Position(paste0("Sys.", "getenv"), "HOME")
