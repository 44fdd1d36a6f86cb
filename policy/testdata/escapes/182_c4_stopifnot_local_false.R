# escape: stopifnot(local = FALSE) evaluates in the global environment
# expect: 4:19 dynamic:call
# expect: 6:12 dynamic:call
stopifnot(exprs = {
  TRUE
}, local = FALSE)
