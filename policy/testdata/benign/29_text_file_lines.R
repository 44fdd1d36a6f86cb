# Write and read a text file line by line.
lines <- c("alpha,1", "beta,2", "gamma,3")
writeLines(lines, "items.txt")
got <- readLines("items.txt")
fields <- strsplit(got, ",")
vals <- as.numeric(vapply(fields, function(f) f[2], ""))
print(sum(vals))
print(list.files(pattern = "\\.txt$"))
