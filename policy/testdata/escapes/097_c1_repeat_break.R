# escape: an assignment after break in a repeat body
# expect: 7:6 base::Sys.getenv
repeat {
  break
  Sys.getenv <- 1
}
h <- Sys.getenv
h("HOME")
