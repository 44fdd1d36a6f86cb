# escape: reach the base namespace with asNamespace()
# expect: 4:1 base::asNamespace
# expect: 4:1 dynamic:call
asNamespace("base")$system("id")
