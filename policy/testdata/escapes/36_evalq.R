# escape: evalq in the base environment
# expect: 5:1 base::evalq
# expect: 5:7 base::system
# expect: 5:21 base::baseenv
evalq(system("id"), baseenv())
