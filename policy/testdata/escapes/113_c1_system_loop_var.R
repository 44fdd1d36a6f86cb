# escape: system through a loop variable that is reassigned
# expect: 4:6 base::system
for (i in 1) system <- 1
s <- system
s("true")
