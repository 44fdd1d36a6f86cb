# escape: call the value of an expression
# expect: 4:1 dynamic:call
# expect: 4:12 base::system
(if (TRUE) system else print)("id")
