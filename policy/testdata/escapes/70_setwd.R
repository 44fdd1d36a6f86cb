# escape: leave the session scratch directory
# expect: 3:1 base::setwd
setwd("/")
