# escape: source evaluates a file
# expect: 4:1 base::source
# expect: 4:8 dynamic:call
source("/nonexistent/file.R")
