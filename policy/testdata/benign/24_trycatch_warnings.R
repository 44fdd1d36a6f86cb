# Handling warnings and errors.
safe_log <- function(x) {
  tryCatch(
    withCallingHandlers(log(x), warning = function(w) invokeRestart("muffleWarning")),
    error = function(e) NA_real_
  )
}
print(safe_log(10))
print(safe_log(-1))
print(safe_log("a"))
res <- try(stop("boom"), silent = TRUE)
print(inherits(res, "try-error"))
