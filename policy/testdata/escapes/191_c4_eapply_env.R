# escape: eapply over a computed environment
# expect: 5:1 base::eapply
# expect: 5:8 dynamic:call
e <- attributes(~0)[[2]]
eapply(e, identity)
