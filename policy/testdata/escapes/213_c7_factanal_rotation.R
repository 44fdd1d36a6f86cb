# escape: factanal calls its rotation by name from its own frame
# expect: 3:85 dynamic:call
r <- "R.home"; set.seed(1); m <- matrix(rnorm(600), 100); factanal(m, 1, rotation = r)
