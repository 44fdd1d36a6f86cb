# escape: the native pipe turns into a call of system
# expect: 3:9 base::system
"id" |> system()
