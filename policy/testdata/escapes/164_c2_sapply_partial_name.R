# escape: sapply with FUN matched by a partial name
# expect: 3:12 dynamic:call
sapply(F = paste0("Sys.", "getenv"), X = "HOME")
