# escape: unserialize can rebuild closures bound to the base namespace
# expect: 5:1 base::unserialize
# expect-guest: 5:13 base::serialize
# expect: 5:13 dynamic:call
unserialize(serialize(1, NULL))
