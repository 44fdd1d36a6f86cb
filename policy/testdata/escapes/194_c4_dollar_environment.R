# escape: $.Environment of a formula
# expect: 4:20 dynamic:call
f <- ~x
e <- attributes(f)$.Environment
