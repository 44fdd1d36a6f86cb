# escape: evaluate parsed text
# expect: 4:1 base::eval
# expect: 4:6 base::parse
eval(parse(text = "system(\"id\")"))
