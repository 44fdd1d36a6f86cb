# escape: backticked name after ::
# expect: 3:7 base::system
base::`system`("id")
