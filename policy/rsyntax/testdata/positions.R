f <- function(x, y = 2) {
	if (x > y) x else y	# tab
}
é <- f(1) |> g(z = _)
base::mean(x$a[[1]], na.rm = TRUE) -> m
"h"(`a b`, -1:2, r"(raw)")
