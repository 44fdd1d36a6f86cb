# escape: Filter with a function name string
# expect: 3:8 base::system
Filter("system", "id")
