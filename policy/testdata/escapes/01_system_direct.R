# escape: run a shell command directly
# expect: 3:1 base::system
system("id")
