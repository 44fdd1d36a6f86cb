# escape: forceAndCall with a computed function
# expect: 3:17 dynamic:call
forceAndCall(1, paste0("Sys.", "getenv"), "HOME")
