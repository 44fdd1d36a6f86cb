# A small S3 class with print and summary methods.
account <- function(owner, balance = 0) structure(list(owner = owner, balance = balance), class = "account")
print.account <- function(x, ...) {
  cat("Account of", x$owner, "with balance", x$balance, "\n")
  invisible(x)
}
deposit <- function(acc, amount) {
  acc$balance <- acc$balance + amount
  acc
}
a <- deposit(account("Ann"), 100)
print(a)
a
