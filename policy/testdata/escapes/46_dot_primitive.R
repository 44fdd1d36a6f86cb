# escape: fetch a primitive by name
# expect: 4:1 base::.Primitive
# expect: 4:12 base::.Internal
.Primitive(".Internal")
