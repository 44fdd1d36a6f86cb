# escape: a hook that runs when a plot starts
# expect: 4:1 base::setHook
# expect: 4:32 base::system
setHook("plot.new", function() system("id"))
