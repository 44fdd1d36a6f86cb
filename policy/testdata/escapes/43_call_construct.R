# escape: build a call object and evaluate it
# expect: 6:1 base::eval
# expect: 6:11 base::system
# expect: 6:6 base::call
# expect: 6:6 dynamic:call
eval(call("system", "id"))
