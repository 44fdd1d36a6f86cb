# rapply over a nested list.
l <- list(a = 1:3, b = list(c = 4:5, d = "x"))
print(rapply(l, function(v) v * 2, classes = "integer", how = "unlist"))
