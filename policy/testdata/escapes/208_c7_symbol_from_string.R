# escape: a symbol made from a string by as.vector(mode = "symbol"), called through do.call
# expect: 3:49 dynamic:call
s <- as.vector("Sys.getenv", "symbol"); do.call(s, list("R_HOME"))
