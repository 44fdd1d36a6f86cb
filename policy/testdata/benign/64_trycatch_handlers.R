# Condition handling with inline handlers.
r <- tryCatch(stop("boom"), error = function(e) conditionMessage(e), finally = cat("done\n"))
print(r)
w <- withCallingHandlers(
  { warning("careful"); "value" },
  warning = function(w) invokeRestart("muffleWarning")
)
print(w)
