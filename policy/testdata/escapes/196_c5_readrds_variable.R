# escape: readRDS of a computed path
# expect-guest: 5:1 base::readRDS
# expect: 5:9 dynamic:call
p <- paste0("x", ".rds")
readRDS(p)
