# escape: do.call with a computed function name
# expect: 3:9 dynamic:call
do.call(paste0("sys", "tem"), list("id"))
