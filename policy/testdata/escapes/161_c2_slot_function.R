# escape: a function taken from an S4 slot is called
# expect: 6:1 dynamic:call
setClass("Box", representation(f = "function"))
b <- new("Box", f = identity)
h <- slot(b, "f")
h("HOME")
