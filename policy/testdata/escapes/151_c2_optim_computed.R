# escape: optim with a computed objective
# expect: 3:10 dynamic:call
optim(1, paste0("Sys.", "getenv"))
