# escape: a function call inside a formula is evaluated by model.frame
# expect: 5:17 base::system
# expect: 5:38 dynamic:call
d <- data.frame(y = 1:3)
model.frame(y ~ system("id"), data = d)
