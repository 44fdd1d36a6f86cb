# escape: fetch system by a literal name with get()
# expect: 5:1 base::get
# expect: 5:1 dynamic:call
# expect: 5:5 base::system
get("system")("id")
