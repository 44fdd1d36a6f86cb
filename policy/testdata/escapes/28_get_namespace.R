# escape: reach a namespace with getNamespace()
# expect: 4:1 base::getNamespace
# expect: 4:1 dynamic:call
getNamespace("base")[["system"]]("id")
