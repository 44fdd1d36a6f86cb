# escape: methods::setGeneric with a computed name
# expect: 3:21 dynamic:call
methods::setGeneric(paste0("Sys.", "getenv"))
