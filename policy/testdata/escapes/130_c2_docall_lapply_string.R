# escape: do.call whose arguments carry a function name
# expect: 3:30 base::Sys.getenv
do.call(lapply, list("HOME", "Sys.getenv"))
