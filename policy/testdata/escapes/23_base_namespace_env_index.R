# escape: index .BaseNamespaceEnv with a computed name
# expect: 4:1 base::.BaseNamespaceEnv
# expect: 4:1 dynamic:call
.BaseNamespaceEnv[[paste0("sys", "tem")]]("id")
