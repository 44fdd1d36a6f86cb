# escape: reach the network through a url connection
# expect: 4:8 base::url
# expect-guest: 5:1 base::close
con <- url("http://127.0.0.1:9/")
close(con)
