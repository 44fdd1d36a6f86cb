# S3 classes with a print method and a generic of the script's own.
describe <- function(x, ...) UseMethod("describe")
describe.default <- function(x, ...) cat("something\n")
describe.animal <- function(x, ...) cat("an animal called", x$name, "\n")
pet <- structure(list(name = "Rex"), class = "animal")
describe(pet)
describe(42)
