# escape: a function name as a string argument of lapply
# expect: 3:14 base::system
lapply("id", "system")
