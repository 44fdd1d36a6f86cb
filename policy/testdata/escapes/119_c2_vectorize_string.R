# escape: Vectorize of a function named by a string
# expect: 4:1 dynamic:call
# expect: 4:11 base::Sys.getenv
Vectorize("Sys.getenv")("HOME")
