# escape: a finalizer runs code at garbage collection or exit
# expect: 4:1 base::reg.finalizer
# expect: 4:38 base::system
reg.finalizer(new.env(), function(e) system("id"), onexit = TRUE)
