# escape: addmargins FUN as a list of names, positionally through do.call
# expect: 3:50 dynamic:call
A <- table(1, 1); do.call(addmargins, list(A, 1, list("R.home")))
