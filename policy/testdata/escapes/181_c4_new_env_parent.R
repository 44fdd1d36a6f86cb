# escape: new.env with a parent from a formula
# expect: 3:23 dynamic:call
e <- new.env(parent = attributes(~0)[[2]])
ls(e)
