# escape: change the process environment (R_ variables steer R)
# expect: 3:1 base::Sys.setenv
Sys.setenv(R_LIBS_USER = "/tmp")
