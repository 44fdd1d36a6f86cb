# escape: setGeneric with an existing function's name
# expect: 4:12 base::Sys.getenv
# expect: 5:1 base::Sys.getenv
setGeneric("Sys.getenv")
Sys.getenv("HOME")
