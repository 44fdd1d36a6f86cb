# escape: divert output and hide it
# expect: 3:1 base::sink
sink("/dev/null")
