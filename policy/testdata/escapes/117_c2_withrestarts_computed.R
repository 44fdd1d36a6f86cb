# escape: withRestarts with a computed handler name
# expect: 4:46 dynamic:call
h <- paste0("Sys.", "getenv")
withRestarts(invokeRestart("r", "HOME"), r = list(handler = h))
