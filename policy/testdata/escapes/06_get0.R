# escape: fetch system with get0()
# expect: 5:1 base::get0
# expect: 5:1 dynamic:call
# expect: 5:6 base::system
get0("system", mode = "function")("id")
