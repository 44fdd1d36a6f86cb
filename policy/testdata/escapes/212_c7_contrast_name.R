# escape: C() looks its contrast up by name in its own frame
# expect: 3:24 base::R.home
C(factor(c("a", "b")), "R.home", 1)
