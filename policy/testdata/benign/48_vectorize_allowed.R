# Vectorize a scalar function written in the script.
clamp <- function(v, lo, hi) if (v < lo) lo else if (v > hi) hi else v
vclamp <- Vectorize(clamp)
print(vclamp(c(-2, 0.5, 3), 0, 1))
vsum <- Vectorize(function(n) sum(seq_len(n)))
print(vsum(1:5))
