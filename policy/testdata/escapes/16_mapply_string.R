# escape: mapply with a function name string
# expect: 3:8 base::system
mapply("system", "id")
