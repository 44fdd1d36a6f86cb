# escape: read the process environment (secrets live there)
# expect: 3:1 base::Sys.getenv
Sys.getenv("HOME")
