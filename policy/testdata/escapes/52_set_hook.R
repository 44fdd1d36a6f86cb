# escape: a hook that runs when a plot starts
# expect: 5:1 base::setHook
# expect: 5:32 base::system
# expect-guest: 5:9 graphics::plot.new
setHook("plot.new", function() system("id"))
