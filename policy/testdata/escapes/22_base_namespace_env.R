# escape: reach system through .BaseNamespaceEnv
# expect: 4:1 base::.BaseNamespaceEnv
# expect: 4:1 dynamic:call
.BaseNamespaceEnv$system("id")
