# escape: evalq in the base environment
# expect: 6:1 base::evalq
# expect: 6:21 base::baseenv
# expect: 6:21 dynamic:call
# expect: 6:7 base::system
evalq(system("id"), baseenv())
