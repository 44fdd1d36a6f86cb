# escape: grab the function being evaluated (at top level: the harness)
# expect: 3:1 base::sys.function
sys.function()
