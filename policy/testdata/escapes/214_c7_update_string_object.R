# escape: update() of an object whose formula() would parse and evaluate a string
# expect: 3:8 dynamic:call
update(structure("cat(Sys.getenv(\"R_HOME\"))", class = "zz"), . ~ .)
