# escape: Recall calls the function that is running (at top level: the harness)
# expect: 3:1 base::Recall
Recall()
