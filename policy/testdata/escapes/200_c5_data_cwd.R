# escape: data() sourcing an R file from the working directory
# expect-guest: 6:1 base::dir.create
# expect-guest: 7:1 base::writeLines
# expect-guest: 8:1 utils::data
# expect: 8:6 dynamic:call
dir.create("data")
writeLines("x <- Sys.getenv('HOME')", "data/evil.R")
data(evil)
