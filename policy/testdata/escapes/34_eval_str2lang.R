# escape: evaluate code built from a string with str2lang
# expect: 4:1 base::eval
# expect: 4:6 base::str2lang
eval(str2lang("system(\"id\")"))
