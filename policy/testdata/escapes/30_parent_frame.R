# escape: climb to the caller frame (the harness) with parent.frame()
# expect: 3:17 base::parent.frame
f <- function() parent.frame()
ls(f())
