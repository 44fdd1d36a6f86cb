# escape: ls() of a search position
# expect: 3:4 dynamic:call
ls(1)
