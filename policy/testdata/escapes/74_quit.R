# escape: kill the worker with quit()
# expect: 3:1 base::q
q("no")
