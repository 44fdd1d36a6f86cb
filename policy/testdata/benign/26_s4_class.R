# An S4 class with a generic and a validity check.
setClass("Point", representation(x = "numeric", y = "numeric"))
setGeneric("norm2", function(p) standardGeneric("norm2"))
setMethod("norm2", "Point", function(p) sqrt(p@x^2 + p@y^2))
p <- new("Point", x = 3, y = 4)
print(norm2(p))
print(isVirtualClass("Point"))
print(is(p, "Point"))
