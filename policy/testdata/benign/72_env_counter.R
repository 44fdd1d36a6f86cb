# An environment from new.env() used as mutable state.
counter <- new.env()
counter$n <- 0
bump <- function() counter$n <- counter$n + 1
for (i in 1:5) bump()
print(counter$n)
print(ls(counter))
