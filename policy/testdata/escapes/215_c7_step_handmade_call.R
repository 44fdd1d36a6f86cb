# escape: step() of a hand-made object whose call evaluates a symbol made from a string
# expect: 3:120 dynamic:call
o <- list(call = quote(lm(data = cat(c("R_HOME"))))); o$call[[2]][[2]][[1]] <- as.vector("Sys.getenv", "symbol"); step(o)
