# escape: build a call from a symbol made from a string
# expect: 5:1 base::eval
# expect: 5:6 base::as.call
# expect: 5:19 base::as.name
eval(as.call(list(as.name("sys" |> paste0("tem")), "id")))
