# escape: build the name "system" from pieces and fetch it with get()
# expect: 4:10 dynamic:call
# expect: 4:6 base::get
f <- get(paste("sy", "em", sep = "st"))
f("id")
