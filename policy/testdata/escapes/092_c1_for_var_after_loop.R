# escape: a for variable is not bound after a loop that may not run
# expect: 4:6 base::Sys.getenv
for (Sys.getenv in integer(0)) NULL
h <- Sys.getenv
h("HOME")
