# escape: fetch system with mget() from the base environment
# expect: 7:1 base::mget
# expect: 7:1 dynamic:call
# expect: 7:24 base::baseenv
# expect: 7:24 dynamic:call
# expect: 7:6 base::system
mget("system", envir = baseenv())[[1]]("id")
