# escape: inspect the call stack with sys.call() and sys.frames()
# expect: 4:1 base::sys.call
# expect: 5:1 base::sys.frames
sys.call()
sys.frames()
