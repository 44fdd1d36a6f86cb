# escape: base::withRestarts with a list naming the handler
# expect: 3:52 dynamic:call
base::withRestarts(invokeRestart("r", "HOME"), r = list(handler = "Sys.getenv"))
