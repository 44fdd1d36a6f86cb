# A monthly time series: moving average and decomposition.
s <- ts(as.numeric(AirPassengers), start = c(1949, 1), frequency = 12)
ma <- stats::filter(s, rep(1 / 12, 12), sides = 2)
print(round(head(ma[!is.na(ma)]), 2))
dec <- decompose(s)
print(round(dec$figure, 2))
print(window(s, start = c(1960, 1), end = c(1960, 6)))
