# escape: local() in the base environment
# expect: 5:29 base::baseenv
# expect: 5:29 dynamic:call
# expect: 5:7 base::system
local(system("id"), envir = baseenv())
