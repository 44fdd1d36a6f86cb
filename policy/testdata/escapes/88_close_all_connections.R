# escape: close the harness's connections
# expect: 3:1 base::closeAllConnections
closeAllConnections()
