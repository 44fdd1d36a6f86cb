# escape: Vectorize of a computed name
# expect: 3:16 dynamic:call
v <- Vectorize(paste0("Sys.", "getenv"))
v("HOME")
