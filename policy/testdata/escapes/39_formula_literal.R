# escape: a function call inside a formula is evaluated by model.frame
# expect: 4:17 base::system
d <- data.frame(y = 1:3)
model.frame(y ~ system("id"), data = d)
