# escape: base::readRDS of a crafted file
# expect: 4:15 dynamic:call
# expect-guest: 4:7 base::readRDS
base::readRDS("crafted.rds")
