# Date arithmetic and formatting.
d <- as.Date(c("2024-01-15", "2024-03-01", "2024-12-31"))
print(diff(d))
print(format(d, "%d %B %Y"))
print(weekdays(d))
s <- seq(as.Date("2024-01-01"), by = "month", length.out = 4)
print(s)
print(as.numeric(difftime(d[3], d[1], units = "days")))
