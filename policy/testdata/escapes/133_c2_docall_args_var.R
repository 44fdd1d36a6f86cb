# escape: do.call(sapply) with arguments from a variable
# expect: 4:17 dynamic:call
a <- list("HOME", paste0("Sys.", "getenv"))
do.call(sapply, a)
