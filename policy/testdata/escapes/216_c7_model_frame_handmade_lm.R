# escape: model.frame() of a hand-made lm object whose call model.frame.lm evaluates
# expect: 3:118 dynamic:call
cl <- quote(lm(y ~ x, data = cat(c("R_HOME")))); cl[[3]][[2]][[1]] <- as.vector("Sys.getenv", "symbol"); model.frame(structure(list(call = cl), class = "lm"))
