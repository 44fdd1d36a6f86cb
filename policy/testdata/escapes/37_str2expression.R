# escape: an expression vector built from a string
# expect: 4:1 base::eval
# expect: 4:6 base::str2expression
eval(str2expression("1 + 1"))
