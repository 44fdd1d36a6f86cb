# escape: source evaluates a file
# expect: 3:1 base::source
source("/nonexistent/file.R")
