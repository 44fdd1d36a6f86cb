# escape: saveRDS inside try may fail and leave an older file
# expect-guest: 5:5 base::saveRDS
# expect-guest: 6:1 base::readRDS
# expect: 6:9 dynamic:call
try(saveRDS(1, "b.rds"))
readRDS("b.rds")
