# escape: an expression vector built from a string
# expect: 5:1 base::eval
# expect: 5:6 base::str2expression
# expect: 5:6 dynamic:call
eval(str2expression("1 + 1"))
