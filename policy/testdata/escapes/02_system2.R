# escape: run a program with system2
# expect: 3:1 base::system2
system2("id", stdout = TRUE)
