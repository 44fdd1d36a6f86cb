# escape: methods::getFunction looks functions up by name
# expect: 5:1 dynamic:call
# expect: 5:10 methods::getFunction
# expect: 5:22 base::system
methods::getFunction("system")("id")
