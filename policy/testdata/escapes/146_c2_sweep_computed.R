# escape: sweep with a computed function
# expect: 3:24 dynamic:call
sweep(matrix(1), 1, 1, paste0("sys", "tem"))
