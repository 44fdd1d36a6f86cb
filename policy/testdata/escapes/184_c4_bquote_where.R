# escape: bquote(where =) with a computed environment
# expect: 4:22 dynamic:call
e <- attributes(~0)[[2]]
bquote(.(x), where = e)
