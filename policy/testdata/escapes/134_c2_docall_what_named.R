# escape: do.call(what =) with a computed name
# expect: 3:16 dynamic:call
do.call(what = paste0("Sys.", "getenv"), args = list("HOME"))
