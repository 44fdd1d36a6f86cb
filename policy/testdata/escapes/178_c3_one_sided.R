# escape: asOneSidedFormula of a computed name
# expect: 3:19 dynamic:call
asOneSidedFormula(paste0("Sys.", "getenv"))
