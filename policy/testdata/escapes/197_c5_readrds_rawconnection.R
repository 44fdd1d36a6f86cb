# escape: readRDS of a raw connection
# expect-guest: 5:1 base::readRDS
# expect-guest: 5:9 base::rawConnection
# expect: 5:9 dynamic:call
readRDS(rawConnection(as.raw(c(0x58, 0x0a))))
