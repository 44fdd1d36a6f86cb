# escape: <<- binds in another environment
# expect: 5:8 base::Sys.getenv
f <- function() {
  Sys.getenv <<- 1
  h <- Sys.getenv
  h("HOME")
}
f()
