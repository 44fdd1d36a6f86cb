# escape: Vectorize a function given by name
# expect: 4:1 dynamic:call
# expect: 4:11 base::system
Vectorize("system")("id")
