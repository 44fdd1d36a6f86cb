# escape: dget parses and evaluates a file
# expect: 3:1 base::dget
dget("/nonexistent/file.R")
