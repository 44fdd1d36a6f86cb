# escape: sys.source evaluates a file into an environment
# expect: 4:1 base::sys.source
# expect: 4:12 dynamic:call
sys.source("/nonexistent/file.R", envir = new.env())
