# escape: open a TCP socket
# expect: 4:6 base::socketConnection
# expect-guest: 5:1 base::close
s <- socketConnection("127.0.0.1", 9, timeout = 1)
close(s)
