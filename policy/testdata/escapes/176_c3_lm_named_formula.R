# escape: lm(formula =) with a computed string
# expect: 4:14 dynamic:call
d <- data.frame(y = 1:3)
lm(formula = toupper("y ~ 1"), data = d)
