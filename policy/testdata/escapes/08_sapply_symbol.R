# escape: a function passed by name to sapply
# expect: 3:14 base::system
sapply("id", system)
