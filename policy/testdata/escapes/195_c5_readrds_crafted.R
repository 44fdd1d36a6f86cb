# escape: readRDS of bytes the script wrote itself
# expect-guest: 5:1 base::writeBin
# expect-guest: 6:1 base::readRDS
# expect: 6:9 dynamic:call
writeBin(as.raw(c(0x58, 0x0a)), "x.rds")
readRDS("x.rds")
