# escape: do.call(Map) with the function in the argument list
# expect: 3:23 base::Sys.getenv
do.call(Map, list(f = "Sys.getenv", "HOME"))
