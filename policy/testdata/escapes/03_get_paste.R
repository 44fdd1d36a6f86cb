# escape: build the name "system" from pieces and fetch it with get()
# expect: 5:10 dynamic:call
# expect: 5:6 base::get
# expect: 6:1 dynamic:call
f <- get(paste("sy", "em", sep = "st"))
f("id")
