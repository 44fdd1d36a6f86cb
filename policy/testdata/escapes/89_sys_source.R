# escape: sys.source evaluates a file into an environment
# expect: 3:1 base::sys.source
sys.source("/nonexistent/file.R", envir = new.env())
