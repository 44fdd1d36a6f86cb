# escape: call native code through .External and .C
# expect: 4:1 base::.External
# expect: 5:1 base::.C
.External("R_nonexistent_symbol")
.C("R_nonexistent_symbol")
