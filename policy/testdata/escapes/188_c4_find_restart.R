# escape: findRestart hands back a restart object
# expect: 3:14 base::findRestart
withRestarts(findRestart("r"), r = function() 1)
