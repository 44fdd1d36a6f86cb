# escape: with() over the base environment
# expect: 4:6 base::baseenv
# expect: 4:17 base::system
with(baseenv(), system("id"))
