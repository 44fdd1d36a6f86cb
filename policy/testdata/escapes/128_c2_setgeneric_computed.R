# escape: setGeneric with a computed name
# expect: 3:12 dynamic:call
setGeneric(paste0("Sys.", "getenv"))
