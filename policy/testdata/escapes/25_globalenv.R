# escape: reach the global environment, where the harness may keep state
# expect: 3:4 base::globalenv
ls(globalenv())
