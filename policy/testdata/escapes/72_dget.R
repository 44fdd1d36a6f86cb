# escape: dget parses and evaluates a file
# expect: 4:1 base::dget
# expect: 4:6 dynamic:call
dget("/nonexistent/file.R")
