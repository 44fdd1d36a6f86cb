# escape: evaluate code built from a string with str2lang
# expect: 6:1 base::eval
# expect: 6:15 base::system
# expect: 6:6 base::str2lang
# expect: 6:6 dynamic:call
eval(str2lang("system(\"id\")"))
