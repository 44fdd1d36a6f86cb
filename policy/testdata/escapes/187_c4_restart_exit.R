# escape: a restart object's exit environment
# expect: 3:14 base::computeRestarts
withRestarts(computeRestarts()[[1]]$exit, r = function() 1)
