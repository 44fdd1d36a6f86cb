# escape: data(list =) with a computed name
# expect-guest: 4:1 utils::data
# expect: 4:13 dynamic:call
data(list = paste0("ev", "il"))
