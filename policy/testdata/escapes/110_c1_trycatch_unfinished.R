# escape: an assignment after an error inside tryCatch
# expect: 7:6 base::Sys.getenv
tryCatch({
  stop("x")
  Sys.getenv <- 1
}, error = function(e) NULL)
h <- Sys.getenv
h("HOME")
