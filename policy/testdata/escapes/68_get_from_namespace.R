# escape: getFromNamespace fetches any function by name
# expect: 6:1 dynamic:call
# expect: 6:25 base::system
# expect: 6:25 internal:base
# expect: 6:8 utils::getFromNamespace
utils::getFromNamespace("system", "base")("id")
