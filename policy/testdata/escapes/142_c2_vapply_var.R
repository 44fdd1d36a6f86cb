# escape: vapply with a variable function name
# expect: 4:16 dynamic:call
h <- "Sys.getenv"
vapply("HOME", h, "")
