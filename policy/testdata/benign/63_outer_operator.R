# outer with an operator name.
print(outer(1:3, 1:4, "*"))
print(outer(1:2, 1:3, function(a, b) a - b))
