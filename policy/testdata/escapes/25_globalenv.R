# escape: reach the global environment, where the harness may keep state
# expect: 4:4 base::globalenv
# expect: 4:4 dynamic:call
ls(globalenv())
