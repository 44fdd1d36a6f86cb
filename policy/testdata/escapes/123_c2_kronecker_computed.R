# escape: kronecker with a computed function name
# expect: 3:17 dynamic:call
kronecker(1, 1, paste0("sys", "tem"))
