# escape: withRestarts restart given as a list naming the handler (docall get)
# expect: 3:46 dynamic:call
withRestarts(invokeRestart("r", "HOME"), r = list(handler = "Sys.getenv"))
