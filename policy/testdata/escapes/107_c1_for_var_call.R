# escape: a for variable that is not a function does not shadow the call
# expect: 3:29 base::Sys.getenv
for (Sys.getenv in 1) print(Sys.getenv("HOME"))
