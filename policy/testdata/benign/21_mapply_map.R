# mapply, Map, Filter and Reduce with anonymous functions.
print(mapply(function(a, b) a * b, 1:4, 4:1))
print(Map(function(k, v) paste(k, v), c("a", "b"), c(1, 2)))
evens <- Filter(function(v) v %% 2 == 0, 1:10)
print(evens)
print(Reduce(function(acc, v) acc + v, 1:10, accumulate = TRUE))
