# Nested lists: modify, flatten and inspect.
cfg <- list(name = "run1", params = list(alpha = 0.1, beta = 2), tags = c("a", "b"))
cfg$params$gamma <- 3
cfg <- modifyList(cfg, list(name = "run2"))
str(cfg)
print(names(unlist(cfg)))
print(length(cfg$params))
