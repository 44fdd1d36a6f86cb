# escape: terms without an environment (predict.lm would fall back to its own frame)
# expect: 3:79 dynamic:call
d <- data.frame(y = 1:4, x = 1:4); m <- lm(y ~ x, d); tt <- m$terms; attr(tt, ".Environment") <- NULL
