# do.call(rbind) over a list of data frames.
parts <- lapply(1:3, function(i) data.frame(i = i, sq = i^2))
all <- do.call(rbind, parts)
print(all)
print(do.call("sum", list(1, 2, 3)))
