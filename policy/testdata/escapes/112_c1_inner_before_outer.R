# escape: a nested function defined before the enclosing assignment
# expect: 4:19 base::Sys.getenv
f <- function() {
  g <- function() Sys.getenv
  g()
}
h <- f()
h("HOME")
