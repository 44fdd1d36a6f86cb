# escape: keep system in a list and call it by index
# expect: 4:12 base::system
# expect: 5:1 dynamic:call
fs <- list(system)
fs[[1]]("id")
