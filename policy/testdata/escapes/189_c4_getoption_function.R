# escape: a function from getOption is called
# expect: 4:1 dynamic:call
d <- getOption("device")
d()
