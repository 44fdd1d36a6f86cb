# Extract numbers and e-mail domains with regular expressions.
txt <- c("order 123 shipped to a@example.org", "order 98 to b@test.net", "no order")
nums <- regmatches(txt, regexpr("[0-9]+", txt))
print(as.integer(nums))
dom <- sub(".*@([a-z.]+).*", "\\1", txt[grepl("@", txt)])
print(dom)
print(grepl("^order", txt))
