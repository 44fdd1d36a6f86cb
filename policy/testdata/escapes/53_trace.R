# escape: trace injects code into an allowed function
# expect: 4:1 base::trace
# expect: 4:21 base::system
trace("mean", quote(system("id")), print = FALSE)
mean(1)
