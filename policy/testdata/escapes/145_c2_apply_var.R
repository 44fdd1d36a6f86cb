# escape: apply with a variable function name
# expect: 4:26 dynamic:call
h <- "Sys.getenv"
apply(matrix("HOME"), 1, h)
