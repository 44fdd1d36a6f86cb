# escape: attach a package of process and file utilities
# expect-guest: 4:1 base::require
# expect: 4:9 pkg:tools
require(tools)
