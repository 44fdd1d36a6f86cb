# escape: Find with a function name
# expect: 3:6 base::Sys.getenv
Find("Sys.getenv", "HOME")
