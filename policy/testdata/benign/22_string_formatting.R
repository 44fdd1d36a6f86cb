# Formatting numbers for a report.
vals <- c(1234.5678, 0.000123, 42)
print(format(vals, nsmall = 2))
print(formatC(vals, format = "f", digits = 1, big.mark = ","))
print(prettyNum(1234567, big.mark = ","))
cat(sprintf("Total: %.2f\n", sum(vals)))
cat(paste0("Item ", 1:3, collapse = "; "), "\n")
