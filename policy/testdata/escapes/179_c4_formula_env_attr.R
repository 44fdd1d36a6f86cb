# escape: the .Environment attribute of a formula
# expect: 4:18 dynamic:call
# expect: 5:4 dynamic:call
e <- attr(y ~ x, ".Environment")
ls(e)
