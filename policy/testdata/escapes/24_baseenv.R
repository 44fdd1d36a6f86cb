# escape: reach system through baseenv()
# expect: 4:1 base::baseenv
# expect: 4:1 dynamic:call
baseenv()$system("id")
