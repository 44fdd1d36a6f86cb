# escape: do.call(Reduce) with a string function
# expect: 3:22 base::Sys.getenv
do.call(Reduce, list("Sys.getenv", "HOME"))
