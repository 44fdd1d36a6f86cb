# Normalise messy strings.
raw <- c("  Alice Smith ", "BOB jones", "carol  O'Neil", NA)
clean <- trimws(raw)
clean <- gsub("\\s+", " ", clean)
clean <- tolower(clean)
parts <- strsplit(clean[!is.na(clean)], " ")
first <- vapply(parts, function(p) p[1], character(1))
print(toupper(substr(first, 1, 1)))
print(sprintf("%-10s|%3d", first, nchar(first)))
