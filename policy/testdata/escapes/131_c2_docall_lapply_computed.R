# escape: do.call whose arguments carry a computed function name
# expect: 3:32 dynamic:call
do.call("lapply", list("HOME", paste0("Sys.", "getenv")))
