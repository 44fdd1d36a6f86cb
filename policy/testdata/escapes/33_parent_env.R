# escape: climb environments with parent.env()
# expect: 5:1 base::parent.env
# expect: 5:1 dynamic:call
e <- new.env()
parent.env(e)$system("id")
