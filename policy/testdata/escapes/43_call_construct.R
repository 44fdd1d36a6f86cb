# escape: build a call object and evaluate it
# expect: 5:1 base::eval
# expect: 5:6 base::call
# expect: 5:11 base::system
eval(call("system", "id"))
