# escape: a member of the harness's state
# expect: 4:3 dynamic:call
x <- list()
x$.rwarden_nonce
