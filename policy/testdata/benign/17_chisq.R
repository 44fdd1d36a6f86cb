# Chi-squared test of independence.
tab <- matrix(c(20, 15, 30, 35), nrow = 2, dimnames = list(c("A", "B"), c("yes", "no")))
res <- chisq.test(tab)
print(res$expected)
print(round(res$statistic, 3))
print(fisher.test(tab)$p.value > 0)
