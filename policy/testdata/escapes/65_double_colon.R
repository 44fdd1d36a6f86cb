# escape: call a function of a package that is not granted
# expect: 4:1 pkg:tools
# expect: 4:8 tools::pskill
tools::pskill(1L)
