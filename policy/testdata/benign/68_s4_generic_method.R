# An S4 generic with a method.
setClass("Square", representation(side = "numeric"))
setGeneric("area", function(shape) standardGeneric("area"))
setMethod("area", "Square", function(shape) shape@side^2)
sq <- new("Square", side = 3)
print(area(sq))
print(isVirtualClass("Square"))
