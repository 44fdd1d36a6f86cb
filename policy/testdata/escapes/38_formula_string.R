# escape: a model formula parsed from a string
# expect: 6:15 dynamic:call
# expect: 6:4 dynamic:call
# expect: 6:4 stats::as.formula
d <- data.frame(y = 1:3)
lm(as.formula(paste("y ~", "I(system(\"id\"))")), data = d)
