# escape: a list of function names for addmargins FUN, by a partial argument name
# expect: 3:41 dynamic:call
A <- table(1, 1); addmargins(A, 1, FU = list("R.home"))
