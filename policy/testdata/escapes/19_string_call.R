# escape: a string literal in function position is a call of that function
# expect: 3:1 base::system
"system"("id")
