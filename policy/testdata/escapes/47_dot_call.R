# escape: call native code through .Call
# expect: 4:1 base::.Call
# expect: 4:7 base::.C_R_getTaskCallbackNames
.Call(.C_R_getTaskCallbackNames)
