# escape: local() in the base environment
# expect: 4:7 base::system
# expect: 4:29 base::baseenv
local(system("id"), envir = baseenv())
