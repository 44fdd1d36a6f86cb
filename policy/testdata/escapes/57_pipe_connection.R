# escape: a pipe connection runs a shell command
# expect-guest: 4:1 base::readLines
# expect: 4:11 base::pipe
readLines(pipe("cat /etc/hostname"))
