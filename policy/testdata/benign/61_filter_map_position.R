# Filter, Map and Position with inline functions.
v <- 1:10
print(Filter(function(i) i %% 3 == 0, v))
print(unlist(Map(function(a, b) a * b, 1:3, 4:6)))
print(Position(function(i) i > 4, v))
