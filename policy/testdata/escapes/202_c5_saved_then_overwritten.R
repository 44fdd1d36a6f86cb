# escape: a saved file overwritten before it is read
# expect-guest: 6:1 base::saveRDS
# expect-guest: 7:1 base::writeBin
# expect-guest: 8:1 base::readRDS
# expect: 8:9 dynamic:call
saveRDS(1, "a.rds")
writeBin(as.raw(c(0x58, 0x0a)), "a.rds")
readRDS("a.rds")
