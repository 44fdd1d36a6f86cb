# escape: eval.parent evaluates in the caller frame
# expect: 3:1 base::eval.parent
eval.parent(quote(ls()))
