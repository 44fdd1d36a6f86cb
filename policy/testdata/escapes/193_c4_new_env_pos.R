# escape: new.env with a numeric parent position
# expect: 3:23 dynamic:call
e <- new.env(parent = 1)
