# escape: reach an unexported function with :::
# expect: 4:6 base:::::
# expect: 4:9 internal:stats
stats:::Pillai
