# escape: fetch system with mget() from the base environment
# expect: 6:1 base::mget
# expect: 6:1 dynamic:call
# expect: 6:6 base::system
# expect: 6:24 base::baseenv
mget("system", envir = baseenv())[[1]]("id")
