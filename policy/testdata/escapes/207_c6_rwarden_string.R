# escape: the harness's state by a string
# expect: 4:1 base::exists
# expect: 4:8 dynamic:call
exists(".rwarden")
