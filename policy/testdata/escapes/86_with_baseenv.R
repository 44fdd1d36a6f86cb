# escape: with() over the base environment
# expect: 4:17 base::system
# expect: 4:6 base::baseenv
with(baseenv(), system("id"))
