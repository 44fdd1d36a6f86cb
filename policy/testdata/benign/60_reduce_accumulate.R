# Reduce with an operator and with a lambda.
print(Reduce(`+`, 1:5, accumulate = TRUE))
print(Reduce(function(a, b) paste0(b, a), c("x", "y", "z")))
