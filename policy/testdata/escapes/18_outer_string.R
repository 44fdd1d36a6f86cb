# escape: outer with a function name string
# expect: 3:17 base::system
outer("id", "", "system")
