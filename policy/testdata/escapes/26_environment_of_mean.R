# escape: the environment of a base function is the base namespace
# expect: 4:7 base::environment
# expect: 5:1 dynamic:call
ns <- environment(mean)
ns$system("id")
