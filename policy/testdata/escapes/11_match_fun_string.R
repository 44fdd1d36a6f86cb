# escape: match.fun resolving a literal name
# expect: 4:1 dynamic:call
# expect: 4:11 base::system
match.fun("system")("id")
