# escape: load a shared library into R
# expect: 3:1 base::dyn.load
dyn.load("/nonexistent/libevil.so")
