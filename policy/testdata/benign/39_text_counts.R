# Word frequencies of a short text.
text <- "the quick brown fox jumps over the lazy dog the fox"
words <- strsplit(text, " ")[[1]]
freq <- sort(table(words), decreasing = TRUE)
print(head(freq, 3))
print(names(freq)[freq == max(freq)])
print(nchar(words))
