# escape: the harness's environment by name
# expect: 3:6 dynamic:call
x <- .rwarden
