# escape: look up a native routine
# expect: 3:1 base::getNativeSymbolInfo
getNativeSymbolInfo("R_nonexistent_symbol")
