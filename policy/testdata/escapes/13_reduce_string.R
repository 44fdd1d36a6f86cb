# escape: Reduce with a function name string
# expect: 3:8 base::system
Reduce("system", list("id"))
