# escape: load of a file not saved by this script
# expect-guest: 4:1 base::load
# expect: 4:6 dynamic:call
load("evil.RData")
