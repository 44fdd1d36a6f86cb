# escape: unserialize of crafted bytes
# expect: 4:1 base::unserialize
# expect: 4:13 dynamic:call
unserialize(as.raw(c(0x58, 0x0a)))
