# escape: Map with a function name string
# expect: 3:5 base::system
Map("system", "id")
