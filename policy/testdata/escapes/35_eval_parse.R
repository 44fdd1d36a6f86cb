# escape: evaluate parsed text
# expect: 6:1 base::eval
# expect: 6:19 base::system
# expect: 6:6 base::parse
# expect: 6:6 dynamic:call
eval(parse(text = "system(\"id\")"))
