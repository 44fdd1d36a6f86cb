# escape: base::Vectorize of a computed name
# expect: 3:22 dynamic:call
v <- base::Vectorize(paste0("Sys.", "getenv"))
v("HOME")
