# escape: load a package that forks processes
# expect-guest: 5:1 base::library
# expect: 5:9 pkg:parallel
# expect: 6:1 parallel::mclapply
library(parallel)
mclapply(1:2, function(i) i)
