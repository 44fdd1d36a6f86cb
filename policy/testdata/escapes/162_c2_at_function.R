# escape: a function taken with @ is called
# expect: 6:1 dynamic:call
setClass("Box2", representation(f = "function"))
b <- new("Box2", f = identity)
h <- b@f
h("HOME")
