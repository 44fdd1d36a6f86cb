# bquote builds an expression from a template.
n <- 5
e <- bquote(.(n) + 1)
print(e)
print(deparse(bquote(f(.(n), y))))
