# escape: climb to the caller frame (the harness) with parent.frame()
# expect: 4:17 base::parent.frame
# expect: 5:4 dynamic:call
f <- function() parent.frame()
ls(f())
