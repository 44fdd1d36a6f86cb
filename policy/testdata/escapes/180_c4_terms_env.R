# escape: the environment of terms built by lm
# expect: 6:28 dynamic:call
# expect: 7:4 dynamic:call
d <- data.frame(y = 1:3, x = 1:3)
fit <- lm(y ~ x, d)
e <- attributes(fit$terms)$.Environment
ls(e)
