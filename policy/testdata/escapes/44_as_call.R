# escape: build a call from a symbol made from a string
# expect: 7:1 base::eval
# expect: 7:14 dynamic:call
# expect: 7:19 base::as.name
# expect: 7:6 base::as.call
# expect: 7:6 dynamic:call
eval(as.call(list(as.name("sys" |> paste0("tem")), "id")))
