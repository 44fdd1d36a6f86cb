# escape: loadNamespace returns a namespace environment
# expect: 4:1 base::loadNamespace
# expect: 4:15 pkg:tools
loadNamespace("tools")
