package qap1_test

// qapCases are R values that travel through QAP1 without loss (Rserve's
// own encoding has no room for closures, environments or S4 slots).
var qapCases = []string{
	`NULL`,
	`1:10`,
	`integer(0)`,
	`c(a = 1L, b = NA)`,
	`c(1.5, NA, NaN, Inf, -Inf, -0.25)`,
	`c(TRUE, NA, FALSE, TRUE, TRUE)`,
	`logical(0)`,
	`c("a", NA, "", "\u00e9t\u00e9", "\xff")`,
	`as.raw(c(0, 1, 255, 7, 9))`,
	`raw(0)`,
	`complex(real = c(1, NA), imaginary = c(-2, 3))`,
	`list(1, "a", list(b = 2, c = list()))`,
	`list(a = 1, 2)`,
	`factor(c("x", "y", "x"))`,
	`data.frame(a = 1:3, b = c("x", "y", "z"), stringsAsFactors = FALSE)`,
	`matrix(as.numeric(1:6), 2, dimnames = list(c("r1", "r2"), c("a", "b", "c")))`,
	`array(1:24, c(2, 3, 4))`,
	`as.Date("2024-01-02")`,
	`structure(list(x = 1), class = c("foo", "bar"))`,
	`pairlist(a = 1, b = "x")`,
	`quote(f(x, y = 2))`,
	`quote(a + b * c)`,
	`as.name("sym")`,
	`expression(1, x)`,
	`table(c("a", "b", "a"))`,
}
