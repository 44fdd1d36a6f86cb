# escape: system inside a lambda
# expect: 3:9 base::system
(\(cmd) system(cmd))("id")
