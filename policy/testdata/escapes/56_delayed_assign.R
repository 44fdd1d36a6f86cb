# escape: a promise evaluated later
# expect: 4:1 base::delayedAssign
# expect: 4:20 base::system
delayedAssign("x", system("id"))
x
