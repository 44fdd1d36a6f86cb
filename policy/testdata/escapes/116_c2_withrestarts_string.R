# escape: withRestarts with a handler named by a string
# expect: 3:46 base::Sys.getenv
withRestarts(invokeRestart("r", "HOME"), r = "Sys.getenv")
