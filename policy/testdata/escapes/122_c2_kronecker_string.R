# escape: kronecker with a function name
# expect: 3:22 base::Sys.getenv
kronecker("HOME", 1, "Sys.getenv")
