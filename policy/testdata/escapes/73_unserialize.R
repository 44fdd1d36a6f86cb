# escape: unserialize can rebuild closures bound to the base namespace
# expect: 4:1 base::unserialize
# expect-guest: 4:13 base::serialize
unserialize(serialize(1, NULL))
