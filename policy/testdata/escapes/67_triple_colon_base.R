# escape: reach system with base:::
# expect: 5:5 base:::::
# expect: 5:8 base::system
# expect: 5:8 internal:base
base:::system("id")
