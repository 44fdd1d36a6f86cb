# escape: read the worker's standard input (the harness's channel)
# expect-guest: 4:1 base::readLines
# expect: 4:11 base::stdin
readLines(stdin(), n = 1)
