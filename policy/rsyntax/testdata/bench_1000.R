# A 1,000-line R script for the parser benchmarks: functions of the stats
# package as deparse() prints them (R 4.2.2), assigned to names.
lm <- function (formula, data, subset, weights, na.action, method = "qr", model = TRUE, 
    x = FALSE, y = FALSE, qr = TRUE, singular.ok = TRUE, contrasts = NULL, offset, 
    ...) 
{
    ret.x <- x
    ret.y <- y
    cl <- match.call()
    mf <- match.call(expand.dots = FALSE)
    m <- match(c("formula", "data", "subset", "weights", "na.action", "offset"), 
        names(mf), 0L)
    mf <- mf[c(1L, m)]
    mf$drop.unused.levels <- TRUE
    mf[[1L]] <- quote(stats::model.frame)
    mf <- eval(mf, parent.frame())
    if (method == "model.frame") 
        return(mf)
    else if (method != "qr") 
        warning(gettextf("method = '%s' is not supported. Using 'qr'", method), domain = NA)
    mt <- attr(mf, "terms")
    y <- model.response(mf, "numeric")
    w <- as.vector(model.weights(mf))
    if (!is.null(w) && !is.numeric(w)) 
        stop("'weights' must be a numeric vector")
    offset <- model.offset(mf)
    mlm <- is.matrix(y)
    ny <- if (mlm) 
        nrow(y)
    else length(y)
    if (!is.null(offset)) {
        if (!mlm) 
            offset <- as.vector(offset)
        if (NROW(offset) != ny) 
            stop(gettextf("number of offsets is %d, should equal %d (number of observations)", 
                NROW(offset), ny), domain = NA)
    }
    if (is.empty.model(mt)) {
        x <- NULL
        z <- list(coefficients = if (mlm) matrix(NA_real_, 0, ncol(y)) else numeric(), 
            residuals = y, fitted.values = 0 * y, weights = w, rank = 0L, df.residual = if (!is.null(w)) sum(w != 
                0) else ny)
        if (!is.null(offset)) {
            z$fitted.values <- offset
            z$residuals <- y - offset
        }
    }
    else {
        x <- model.matrix(mt, mf, contrasts)
        z <- if (is.null(w)) 
            lm.fit(x, y, offset = offset, singular.ok = singular.ok, ...)
        else lm.wfit(x, y, w, offset = offset, singular.ok = singular.ok, ...)
    }
    class(z) <- c(if (mlm) "mlm", "lm")
    z$na.action <- attr(mf, "na.action")
    z$offset <- offset
    z$contrasts <- attr(x, "contrasts")
    z$xlevels <- .getXlevels(mt, mf)
    z$call <- cl
    z$terms <- mt
    if (model) 
        z$model <- mf
    if (ret.x) 
        z$x <- x
    if (ret.y) 
        z$y <- y
    if (!qr) 
        z$qr <- NULL
    z
}

glm <- function (formula, family = gaussian, data, weights, subset, na.action, start = NULL, 
    etastart, mustart, offset, control = list(...), model = TRUE, method = "glm.fit", 
    x = FALSE, y = TRUE, singular.ok = TRUE, contrasts = NULL, ...) 
{
    cal <- match.call()
    if (is.character(family)) 
        family <- get(family, mode = "function", envir = parent.frame())
    if (is.function(family)) 
        family <- family()
    if (is.null(family$family)) {
        print(family)
        stop("'family' not recognized")
    }
    if (missing(data)) 
        data <- environment(formula)
    mf <- match.call(expand.dots = FALSE)
    m <- match(c("formula", "data", "subset", "weights", "na.action", "etastart", 
        "mustart", "offset"), names(mf), 0L)
    mf <- mf[c(1L, m)]
    mf$drop.unused.levels <- TRUE
    mf[[1L]] <- quote(stats::model.frame)
    mf <- eval(mf, parent.frame())
    if (identical(method, "model.frame")) 
        return(mf)
    if (!is.character(method) && !is.function(method)) 
        stop("invalid 'method' argument")
    if (identical(method, "glm.fit")) 
        control <- do.call("glm.control", control)
    mt <- attr(mf, "terms")
    Y <- model.response(mf, "any")
    if (length(dim(Y)) == 1L) {
        nm <- rownames(Y)
        dim(Y) <- NULL
        if (!is.null(nm)) 
            names(Y) <- nm
    }
    X <- if (!is.empty.model(mt)) 
        model.matrix(mt, mf, contrasts)
    else matrix(, NROW(Y), 0L)
    weights <- as.vector(model.weights(mf))
    if (!is.null(weights) && !is.numeric(weights)) 
        stop("'weights' must be a numeric vector")
    if (!is.null(weights) && any(weights < 0)) 
        stop("negative weights not allowed")
    offset <- as.vector(model.offset(mf))
    if (!is.null(offset)) {
        if (length(offset) != NROW(Y)) 
            stop(gettextf("number of offsets is %d should equal %d (number of observations)", 
                length(offset), NROW(Y)), domain = NA)
    }
    mustart <- model.extract(mf, "mustart")
    etastart <- model.extract(mf, "etastart")
    fit <- eval(call(if (is.function(method)) "method" else method, x = X, y = Y, 
        weights = weights, start = start, etastart = etastart, mustart = mustart, 
        offset = offset, family = family, control = control, intercept = attr(mt, 
            "intercept") > 0L, singular.ok = singular.ok))
    if (length(offset) && attr(mt, "intercept") > 0L) {
        fit2 <- eval(call(if (is.function(method)) "method" else method, x = X[, 
            "(Intercept)", drop = FALSE], y = Y, mustart = fit$fitted.values, weights = weights, 
            offset = offset, family = family, control = control, intercept = TRUE))
        if (!fit2$converged) 
            warning("fitting to calculate the null deviance did not converge -- increase 'maxit'?")
        fit$null.deviance <- fit2$deviance
    }
    if (model) 
        fit$model <- mf
    fit$na.action <- attr(mf, "na.action")
    if (x) 
        fit$x <- X
    if (!y) 
        fit$y <- NULL
    structure(c(fit, list(call = cal, formula = formula, terms = mt, data = data, 
        offset = offset, control = control, method = method, contrasts = attr(X, 
            "contrasts"), xlevels = .getXlevels(mt, mf))), class = c(fit$class, c("glm", 
        "lm")))
}

t.test.default <- function (x, y = NULL, alternative = c("two.sided", "less", "greater"), mu = 0, paired = FALSE, 
    var.equal = FALSE, conf.level = 0.95, ...) 
{
    alternative <- match.arg(alternative)
    if (!missing(mu) && (length(mu) != 1 || is.na(mu))) 
        stop("'mu' must be a single number")
    if (!missing(conf.level) && (length(conf.level) != 1 || !is.finite(conf.level) || 
        conf.level < 0 || conf.level > 1)) 
        stop("'conf.level' must be a single number between 0 and 1")
    if (!is.null(y)) {
        dname <- paste(deparse1(substitute(x)), "and", deparse1(substitute(y)))
        if (paired) 
            xok <- yok <- complete.cases(x, y)
        else {
            yok <- !is.na(y)
            xok <- !is.na(x)
        }
        y <- y[yok]
    }
    else {
        dname <- deparse1(substitute(x))
        if (paired) 
            stop("'y' is missing for paired test")
        xok <- !is.na(x)
        yok <- NULL
    }
    x <- x[xok]
    if (paired) {
        x <- x - y
        y <- NULL
    }
    nx <- length(x)
    mx <- mean(x)
    vx <- var(x)
    if (is.null(y)) {
        if (nx < 2) 
            stop("not enough 'x' observations")
        df <- nx - 1
        stderr <- sqrt(vx/nx)
        if (stderr < 10 * .Machine$double.eps * abs(mx)) 
            stop("data are essentially constant")
        tstat <- (mx - mu)/stderr
        method <- if (paired) 
            "Paired t-test"
        else "One Sample t-test"
        estimate <- setNames(mx, if (paired) 
            "mean difference"
        else "mean of x")
    }
    else {
        ny <- length(y)
        if (nx < 1 || (!var.equal && nx < 2)) 
            stop("not enough 'x' observations")
        if (ny < 1 || (!var.equal && ny < 2)) 
            stop("not enough 'y' observations")
        if (var.equal && nx + ny < 3) 
            stop("not enough observations")
        my <- mean(y)
        vy <- var(y)
        method <- paste(if (!var.equal) 
            "Welch", "Two Sample t-test")
        estimate <- c(mx, my)
        names(estimate) <- c("mean of x", "mean of y")
        if (var.equal) {
            df <- nx + ny - 2
            v <- 0
            if (nx > 1) 
                v <- v + (nx - 1) * vx
            if (ny > 1) 
                v <- v + (ny - 1) * vy
            v <- v/df
            stderr <- sqrt(v * (1/nx + 1/ny))
        }
        else {
            stderrx <- sqrt(vx/nx)
            stderry <- sqrt(vy/ny)
            stderr <- sqrt(stderrx^2 + stderry^2)
            df <- stderr^4/(stderrx^4/(nx - 1) + stderry^4/(ny - 1))
        }
        if (stderr < 10 * .Machine$double.eps * max(abs(mx), abs(my))) 
            stop("data are essentially constant")
        tstat <- (mx - my - mu)/stderr
    }
    if (alternative == "less") {
        pval <- pt(tstat, df)
        cint <- c(-Inf, tstat + qt(conf.level, df))
    }
    else if (alternative == "greater") {
        pval <- pt(tstat, df, lower.tail = FALSE)
        cint <- c(tstat - qt(conf.level, df), Inf)
    }
    else {
        pval <- 2 * pt(-abs(tstat), df)
        alpha <- 1 - conf.level
        cint <- qt(1 - alpha/2, df)
        cint <- tstat + c(-cint, cint)
    }
    cint <- mu + cint * stderr
    names(tstat) <- "t"
    names(df) <- "df"
    names(mu) <- if (paired) 
        "mean difference"
    else if (!is.null(y)) 
        "difference in means"
    else "mean"
    attr(cint, "conf.level") <- conf.level
    rval <- list(statistic = tstat, parameter = df, p.value = pval, conf.int = cint, 
        estimate = estimate, null.value = mu, stderr = stderr, alternative = alternative, 
        method = method, data.name = dname)
    class(rval) <- "htest"
    rval
}

wilcox.test.default <- function (x, y = NULL, alternative = c("two.sided", "less", "greater"), mu = 0, paired = FALSE, 
    exact = NULL, correct = TRUE, conf.int = FALSE, conf.level = 0.95, tol.root = 1e-04, 
    digits.rank = Inf, ...) 
{
    alternative <- match.arg(alternative)
    if (!missing(mu) && ((length(mu) > 1L) || !is.finite(mu))) 
        stop("'mu' must be a single number")
    if (conf.int) {
        if (!((length(conf.level) == 1L) && is.finite(conf.level) && (conf.level > 
            0) && (conf.level < 1))) 
            stop("'conf.level' must be a single number between 0 and 1")
    }
    if (!is.numeric(x)) 
        stop("'x' must be numeric")
    if (!is.null(y)) {
        if (!is.numeric(y)) 
            stop("'y' must be numeric")
        DNAME <- paste(deparse1(substitute(x)), "and", deparse1(substitute(y)))
        if (paired) {
            if (length(x) != length(y)) 
                stop("'x' and 'y' must have the same length")
            OK <- complete.cases(x, y)
            x <- x[OK] - y[OK]
            y <- NULL
        }
        else {
            y <- y[!is.na(y)]
        }
    }
    else {
        DNAME <- deparse1(substitute(x))
        if (paired) 
            stop("'y' is missing for paired test")
    }
    x <- x[!is.na(x)]
    if (length(x) < 1L) 
        stop("not enough (non-missing) 'x' observations")
    CORRECTION <- 0
    if (is.null(y)) {
        METHOD <- "Wilcoxon signed rank test"
        x <- x - mu
        ZEROES <- any(x == 0)
        if (ZEROES) 
            x <- x[x != 0]
        n <- as.double(length(x))
        if (is.null(exact)) 
            exact <- (n < 50)
        r <- rank(abs(if (is.finite(digits.rank)) signif(x, digits.rank) else x))
        STATISTIC <- setNames(sum(r[x > 0]), "V")
        TIES <- length(r) != length(unique(r))
        if (exact && !TIES && !ZEROES) {
            METHOD <- sub("test", "exact test", METHOD, fixed = TRUE)
            PVAL <- switch(alternative, two.sided = {
                p <- if (STATISTIC > (n * (n + 1)/4)) psignrank(STATISTIC - 1, n, 
                  lower.tail = FALSE) else psignrank(STATISTIC, n)
                min(2 * p, 1)
            }, greater = psignrank(STATISTIC - 1, n, lower.tail = FALSE), less = psignrank(STATISTIC, 
                n))
            if (conf.int) {
                x <- x + mu
                alpha <- 1 - conf.level
                diffs <- outer(x, x, `+`)
                diffs <- sort(diffs[!lower.tri(diffs)])/2
                cint <- switch(alternative, two.sided = {
                  qu <- qsignrank(alpha/2, n)
                  if (qu == 0) qu <- 1
                  ql <- n * (n + 1)/2 - qu
                  achieved.alpha <- 2 * psignrank(trunc(qu) - 1, n)
                  c(diffs[qu], diffs[ql + 1])
                }, greater = {
                  qu <- qsignrank(alpha, n)
                  if (qu == 0) qu <- 1
                  achieved.alpha <- psignrank(trunc(qu) - 1, n)
                  c(diffs[qu], +Inf)
                }, less = {
                  qu <- qsignrank(alpha, n)
                  if (qu == 0) qu <- 1
                  ql <- n * (n + 1)/2 - qu
                  achieved.alpha <- psignrank(trunc(qu) - 1, n)
                  c(-Inf, diffs[ql + 1])
                })
                if (achieved.alpha - alpha > alpha/2) {
                  warning("requested conf.level not achievable")
                  conf.level <- 1 - signif(achieved.alpha, 2)
                }
                attr(cint, "conf.level") <- conf.level
                ESTIMATE <- c(`(pseudo)median` = median(diffs))
            }
        }
        else {
            NTIES <- table(r)
            z <- STATISTIC - n * (n + 1)/4
            SIGMA <- sqrt(n * (n + 1) * (2 * n + 1)/24 - sum(NTIES^3 - NTIES)/48)
            if (correct) {
                CORRECTION <- switch(alternative, two.sided = sign(z) * 0.5, greater = 0.5, 
                  less = -0.5)
                METHOD <- paste(METHOD, "with continuity correction")
            }
            z <- (z - CORRECTION)/SIGMA
            PVAL <- switch(alternative, less = pnorm(z), greater = pnorm(z, lower.tail = FALSE), 
                two.sided = 2 * min(pnorm(z), pnorm(z, lower.tail = FALSE)))
            if (conf.int) {
                x <- x + mu
                alpha <- 1 - conf.level
                if (n > 0) {
                  mumin <- min(x)
                  mumax <- max(x)
                  W <- function(d) {
                    xd <- x - d
                    xd <- xd[xd != 0]
                    nx <- length(xd)
                    dr <- rank(abs(if (is.finite(digits.rank)) signif(xd, digits.rank) else xd))
                    zd <- sum(dr[xd > 0]) - nx * (nx + 1)/4
                    NTIES.CI <- table(dr)
                    SIGMA.CI <- sqrt(nx * (nx + 1) * (2 * nx + 1)/24 - sum(NTIES.CI^3 - 
                      NTIES.CI)/48)
                    if (SIGMA.CI == 0) 
                      warning("cannot compute confidence interval when all observations are zero or tied", 
                        call. = FALSE)
                    CORRECTION.CI <- if (correct) {
                      switch(alternative, two.sided = sign(zd) * 0.5, greater = 0.5, 
                        less = -0.5)
                    }
                    else 0
                    (zd - CORRECTION.CI)/SIGMA.CI
                  }
                  Wmumin <- W(mumin)
                  Wmumax <- if (!is.finite(Wmumin)) 
                    NA
                  else W(mumax)
                }
                if (n == 0 || !is.finite(Wmumax)) {
                  cint <- structure(c(if (alternative == "less") -Inf else NaN, if (alternative == 
                    "greater") +Inf else NaN), conf.level = 0)
                  ESTIMATE <- if (n > 0) 
                    c(midrange = (mumin + mumax)/2)
                  else NaN
                }
                else {
                  wdiff <- function(d, zq) W(d) - zq
                  root <- function(zq) {
                    uniroot(wdiff, lower = mumin, upper = mumax, f.lower = Wmumin - 
                      zq, f.upper = Wmumax - zq, tol = tol.root, zq = zq)$root
                  }
                  cint <- switch(alternative, two.sided = {
                    repeat {
                      mindiff <- Wmumin - qnorm(alpha/2, lower.tail = FALSE)
                      maxdiff <- Wmumax - qnorm(alpha/2)
                      if (mindiff < 0 || maxdiff > 0) alpha <- alpha * 2 else break
                    }
                    if (alpha >= 1 || 1 - conf.level < alpha * 0.75) {
                      conf.level <- 1 - pmin(1, alpha)
                      warning("requested conf.level not achievable")
                    }
                    if (alpha < 1) {
                      l <- root(zq = qnorm(alpha/2, lower.tail = FALSE))
                      u <- root(zq = qnorm(alpha/2))
                      c(l, u)
                    } else {
                      rep(median(x), 2)
                    }
                  }, greater = {
                    repeat {
                      mindiff <- Wmumin - qnorm(alpha, lower.tail = FALSE)
                      if (mindiff < 0) alpha <- alpha * 2 else break
                    }
                    if (alpha >= 1 || 1 - conf.level < alpha * 0.75) {
                      conf.level <- 1 - pmin(1, alpha)
                      warning("requested conf.level not achievable")
                    }
                    l <- if (alpha < 1) root(zq = qnorm(alpha, lower.tail = FALSE)) else median(x)
                    c(l, +Inf)
                  }, less = {
                    repeat {
                      maxdiff <- Wmumax - qnorm(alpha/2)
                      if (maxdiff > 0) alpha <- alpha * 2 else break
                    }
                    if (alpha >= 1 || 1 - conf.level < alpha * 0.75) {
                      conf.level <- 1 - pmin(1, alpha)
                      warning("requested conf.level not achievable")
                    }
                    u <- if (alpha < 1) root(zq = qnorm(alpha)) else median(x)
                    c(-Inf, u)
                  })
                  attr(cint, "conf.level") <- conf.level
                  correct <- FALSE
                  ESTIMATE <- c(`(pseudo)median` = uniroot(W, lower = mumin, upper = mumax, 
                    tol = tol.root)$root)
                }
            }
            if (exact && TIES) {
                warning("cannot compute exact p-value with ties")
                if (conf.int) 
                  warning("cannot compute exact confidence interval with ties")
            }
            if (exact && ZEROES) {
                warning("cannot compute exact p-value with zeroes")
                if (conf.int) 
                  warning("cannot compute exact confidence interval with zeroes")
            }
        }
    }
    else {
        if (length(y) < 1L) 
            stop("not enough 'y' observations")
        METHOD <- "Wilcoxon rank sum test"
        r <- c(x - mu, y)
        r <- rank(if (is.finite(digits.rank)) 
            signif(r, digits.rank)
        else r)
        n.x <- as.double(length(x))
        n.y <- as.double(length(y))
        if (is.null(exact)) 
            exact <- (n.x < 50) && (n.y < 50)
        STATISTIC <- c(W = sum(r[seq_along(x)]) - n.x * (n.x + 1)/2)
        TIES <- (length(r) != length(unique(r)))
        if (exact && !TIES) {
            METHOD <- sub("test", "exact test", METHOD, fixed = TRUE)
            PVAL <- switch(alternative, two.sided = {
                p <- if (STATISTIC > (n.x * n.y/2)) pwilcox(STATISTIC - 1, n.x, n.y, 
                  lower.tail = FALSE) else pwilcox(STATISTIC, n.x, n.y)
                min(2 * p, 1)
            }, greater = {
                pwilcox(STATISTIC - 1, n.x, n.y, lower.tail = FALSE)
            }, less = pwilcox(STATISTIC, n.x, n.y))
            if (conf.int) {
                alpha <- 1 - conf.level
                diffs <- sort(outer(x, y, `-`))
                cint <- switch(alternative, two.sided = {
                  qu <- qwilcox(alpha/2, n.x, n.y)
                  if (qu == 0) qu <- 1
                  ql <- n.x * n.y - qu
                  achieved.alpha <- 2 * pwilcox(trunc(qu) - 1, n.x, n.y)
                  c(diffs[qu], diffs[ql + 1])
                }, greater = {
                  qu <- qwilcox(alpha, n.x, n.y)
                  if (qu == 0) qu <- 1
                  achieved.alpha <- pwilcox(trunc(qu) - 1, n.x, n.y)
                  c(diffs[qu], +Inf)
                }, less = {
                  qu <- qwilcox(alpha, n.x, n.y)
                  if (qu == 0) qu <- 1
                  ql <- n.x * n.y - qu
                  achieved.alpha <- pwilcox(trunc(qu) - 1, n.x, n.y)
                  c(-Inf, diffs[ql + 1])
                })
                if (achieved.alpha - alpha > alpha/2) {
                  warning("Requested conf.level not achievable")
                  conf.level <- 1 - achieved.alpha
                }
                attr(cint, "conf.level") <- conf.level
                ESTIMATE <- c(`difference in location` = median(diffs))
            }
        }
        else {
            NTIES <- table(r)
            z <- STATISTIC - n.x * n.y/2
            SIGMA <- sqrt((n.x * n.y/12) * ((n.x + n.y + 1) - sum(NTIES^3 - NTIES)/((n.x + 
                n.y) * (n.x + n.y - 1))))
            if (correct) {
                CORRECTION <- switch(alternative, two.sided = sign(z) * 0.5, greater = 0.5, 
                  less = -0.5)
                METHOD <- paste(METHOD, "with continuity correction")
            }
            z <- (z - CORRECTION)/SIGMA
            PVAL <- switch(alternative, less = pnorm(z), greater = pnorm(z, lower.tail = FALSE), 
                two.sided = 2 * min(pnorm(z), pnorm(z, lower.tail = FALSE)))
            if (conf.int) {
                alpha <- 1 - conf.level
                mumin <- min(x) - max(y)
                mumax <- max(x) - min(y)
                W <- function(d) {
                  dr <- c(x - d, y)
                  dr <- rank(if (is.finite(digits.rank)) 
                    signif(dr, digits.rank)
                  else dr)
                  NTIES.CI <- table(dr)
                  dz <- sum(dr[seq_along(x)]) - n.x * (n.x + 1)/2 - n.x * n.y/2
                  CORRECTION.CI <- if (correct) {
                    switch(alternative, two.sided = sign(dz) * 0.5, greater = 0.5, 
                      less = -0.5)
                  }
                  else 0
                  SIGMA.CI <- sqrt((n.x * n.y/12) * ((n.x + n.y + 1) - sum(NTIES.CI^3 - 
                    NTIES.CI)/((n.x + n.y) * (n.x + n.y - 1))))
                  if (SIGMA.CI == 0) 
                    warning("cannot compute confidence interval when all observations are tied", 
                      call. = FALSE)
                  (dz - CORRECTION.CI)/SIGMA.CI
                }
                wdiff <- function(d, zq) W(d) - zq
                Wmumin <- W(mumin)
                Wmumax <- W(mumax)
                root <- function(zq) {
                  f.lower <- Wmumin - zq
                  if (f.lower <= 0) 
                    return(mumin)
                  f.upper <- Wmumax - zq
                  if (f.upper >= 0) 
                    return(mumax)
                  uniroot(wdiff, lower = mumin, upper = mumax, f.lower = f.lower, 
                    f.upper = f.upper, tol = tol.root, zq = zq)$root
                }
                cint <- switch(alternative, two.sided = {
                  l <- root(zq = qnorm(alpha/2, lower.tail = FALSE))
                  u <- root(zq = qnorm(alpha/2))
                  c(l, u)
                }, greater = {
                  l <- root(zq = qnorm(alpha, lower.tail = FALSE))
                  c(l, +Inf)
                }, less = {
                  u <- root(zq = qnorm(alpha))
                  c(-Inf, u)
                })
                attr(cint, "conf.level") <- conf.level
                correct <- FALSE
                ESTIMATE <- c(`difference in location` = uniroot(W, lower = mumin, 
                  upper = mumax, tol = tol.root)$root)
            }
            if (exact && TIES) {
                warning("cannot compute exact p-value with ties")
                if (conf.int) 
                  warning("cannot compute exact confidence intervals with ties")
            }
        }
    }
    names(mu) <- if (paired || !is.null(y)) 
        "location shift"
    else "location"
    RVAL <- list(statistic = STATISTIC, parameter = NULL, p.value = as.numeric(PVAL), 
        null.value = mu, alternative = alternative, method = METHOD, data.name = DNAME)
    if (conf.int) 
        RVAL <- c(RVAL, list(conf.int = cint, estimate = ESTIMATE))
    class(RVAL) <- "htest"
    RVAL
}

chisq.test <- function (x, y = NULL, correct = TRUE, p = rep(1/length(x), length(x)), rescale.p = FALSE, 
    simulate.p.value = FALSE, B = 2000) 
{
    DNAME <- deparse(substitute(x))
    if (is.data.frame(x)) 
        x <- as.matrix(x)
    if (is.matrix(x)) {
        if (min(dim(x)) == 1L) 
            x <- as.vector(x)
    }
    if (!is.matrix(x) && !is.null(y)) {
        if (length(x) != length(y)) 
            stop("'x' and 'y' must have the same length")
        DNAME2 <- deparse(substitute(y))
        xname <- if (length(DNAME) > 1L || nchar(DNAME, "w") > 30) 
            ""
        else DNAME
        yname <- if (length(DNAME2) > 1L || nchar(DNAME2, "w") > 30) 
            ""
        else DNAME2
        OK <- complete.cases(x, y)
        x <- factor(x[OK])
        y <- factor(y[OK])
        if ((nlevels(x) < 2L) || (nlevels(y) < 2L)) 
            stop("'x' and 'y' must have at least 2 levels")
        x <- table(x, y)
        names(dimnames(x)) <- c(xname, yname)
        DNAME <- paste(paste(DNAME, collapse = "\n"), "and", paste(DNAME2, collapse = "\n"))
    }
    if (any(x < 0) || anyNA(x)) 
        stop("all entries of 'x' must be nonnegative and finite")
    if ((n <- sum(x)) == 0) 
        stop("at least one entry of 'x' must be positive")
    if (simulate.p.value) {
        setMETH <- function() METHOD <<- paste(METHOD, "with simulated p-value\n\t (based on", 
            B, "replicates)")
        almost.1 <- 1 - 64 * .Machine$double.eps
    }
    if (is.matrix(x)) {
        METHOD <- "Pearson's Chi-squared test"
        nr <- as.integer(nrow(x))
        nc <- as.integer(ncol(x))
        if (is.na(nr) || is.na(nc) || is.na(nr * nc)) 
            stop("invalid nrow(x) or ncol(x)", domain = NA)
        sr <- rowSums(x)
        sc <- colSums(x)
        E <- outer(sr, sc)/n
        v <- function(r, c, n) c * r * (n - r) * (n - c)/n^3
        V <- outer(sr, sc, v, n)
        dimnames(E) <- dimnames(x)
        if (simulate.p.value && all(sr > 0) && all(sc > 0)) {
            setMETH()
            tmp <- .Call(C_chisq_sim, sr, sc, B, E)
            STATISTIC <- sum(sort((x - E)^2/E, decreasing = TRUE))
            PARAMETER <- NA
            PVAL <- (1 + sum(tmp >= almost.1 * STATISTIC))/(B + 1)
        }
        else {
            if (simulate.p.value) 
                warning("cannot compute simulated p-value with zero marginals")
            if (correct && nrow(x) == 2L && ncol(x) == 2L) {
                YATES <- min(0.5, abs(x - E))
                if (YATES > 0) 
                  METHOD <- paste(METHOD, "with Yates' continuity correction")
            }
            else YATES <- 0
            STATISTIC <- sum((abs(x - E) - YATES)^2/E)
            PARAMETER <- (nr - 1L) * (nc - 1L)
            PVAL <- pchisq(STATISTIC, PARAMETER, lower.tail = FALSE)
        }
    }
    else {
        if (length(dim(x)) > 2L) 
            stop("invalid 'x'")
        if (length(x) == 1L) 
            stop("'x' must at least have 2 elements")
        if (length(x) != length(p)) 
            stop("'x' and 'p' must have the same number of elements")
        if (any(p < 0)) 
            stop("probabilities must be non-negative.")
        if (abs(sum(p) - 1) > sqrt(.Machine$double.eps)) {
            if (rescale.p) 
                p <- p/sum(p)
            else stop("probabilities must sum to 1.")
        }
        METHOD <- "Chi-squared test for given probabilities"
        E <- n * p
        V <- n * p * (1 - p)
        STATISTIC <- sum((x - E)^2/E)
        names(E) <- names(x)
        if (simulate.p.value) {
            setMETH()
            nx <- length(x)
            sm <- matrix(sample.int(nx, B * n, TRUE, prob = p), nrow = n)
            ss <- apply(sm, 2L, function(x, E, k) {
                sum((table(factor(x, levels = 1L:k)) - E)^2/E)
            }, E = E, k = nx)
            PARAMETER <- NA
            PVAL <- (1 + sum(ss >= almost.1 * STATISTIC))/(B + 1)
        }
        else {
            PARAMETER <- length(x) - 1
            PVAL <- pchisq(STATISTIC, PARAMETER, lower.tail = FALSE)
        }
    }
    names(STATISTIC) <- "X-squared"
    names(PARAMETER) <- "df"
    if (any(E < 5) && is.finite(PARAMETER)) 
        warning("Chi-squared approximation may be incorrect")
    structure(list(statistic = STATISTIC, parameter = PARAMETER, p.value = PVAL, 
        method = METHOD, data.name = DNAME, observed = x, expected = E, residuals = (x - 
            E)/sqrt(E), stdres = (x - E)/sqrt(V)), class = "htest")
}

cor.test.default <- function (x, y, alternative = c("two.sided", "less", "greater"), method = c("pearson", 
    "kendall", "spearman"), exact = NULL, conf.level = 0.95, continuity = FALSE, 
    ...) 
{
    alternative <- match.arg(alternative)
    method <- match.arg(method)
    DNAME <- paste(deparse1(substitute(x)), "and", deparse1(substitute(y)))
    if (!is.numeric(x)) 
        stop("'x' must be a numeric vector")
    if (!is.numeric(y)) 
        stop("'y' must be a numeric vector")
    if (length(x) != length(y)) 
        stop("'x' and 'y' must have the same length")
    OK <- complete.cases(x, y)
    x <- x[OK]
    y <- y[OK]
    n <- length(x)
    NVAL <- 0
    conf.int <- FALSE
    if (method == "pearson") {
        if (n < 3L) 
            stop("not enough finite observations")
        method <- "Pearson's product-moment correlation"
        names(NVAL) <- "correlation"
        r <- cor(x, y)
        df <- n - 2L
        ESTIMATE <- c(cor = r)
        PARAMETER <- c(df = df)
        STATISTIC <- c(t = sqrt(df) * r/sqrt(1 - r^2))
        if (n > 3) {
            if (!missing(conf.level) && (length(conf.level) != 1 || !is.finite(conf.level) || 
                conf.level < 0 || conf.level > 1)) 
                stop("'conf.level' must be a single number between 0 and 1")
            conf.int <- TRUE
            z <- atanh(r)
            sigma <- 1/sqrt(n - 3)
            cint <- switch(alternative, less = c(-Inf, z + sigma * qnorm(conf.level)), 
                greater = c(z - sigma * qnorm(conf.level), Inf), two.sided = z + 
                  c(-1, 1) * sigma * qnorm((1 + conf.level)/2))
            cint <- tanh(cint)
            attr(cint, "conf.level") <- conf.level
        }
        PVAL <- switch(alternative, less = pt(STATISTIC, df), greater = pt(STATISTIC, 
            df, lower.tail = FALSE), two.sided = 2 * min(pt(STATISTIC, df), pt(STATISTIC, 
            df, lower.tail = FALSE)))
    }
    else {
        if (n < 2) 
            stop("not enough finite observations")
        PARAMETER <- NULL
        TIES <- (min(length(unique(x)), length(unique(y))) < n)
        if (method == "kendall") {
            method <- "Kendall's rank correlation tau"
            names(NVAL) <- "tau"
            r <- cor(x, y, method = "kendall")
            ESTIMATE <- c(tau = r)
            if (!is.finite(ESTIMATE)) {
                ESTIMATE[] <- NA
                STATISTIC <- c(T = NA)
                PVAL <- NA
            }
            else {
                if (is.null(exact)) 
                  exact <- (n < 50)
                if (exact && !TIES) {
                  q <- round((r + 1) * n * (n - 1)/4)
                  STATISTIC <- c(T = q)
                  pkendall <- function(q, n) .Call(C_pKendall, q, n)
                  PVAL <- switch(alternative, two.sided = {
                    if (q > n * (n - 1)/4) p <- 1 - pkendall(q - 1, n) else p <- pkendall(q, 
                      n)
                    min(2 * p, 1)
                  }, greater = 1 - pkendall(q - 1, n), less = pkendall(q, n))
                }
                else {
                  xties <- table(x[duplicated(x)]) + 1
                  yties <- table(y[duplicated(y)]) + 1
                  T0 <- n * (n - 1)/2
                  T1 <- sum(xties * (xties - 1))/2
                  T2 <- sum(yties * (yties - 1))/2
                  S <- r * sqrt((T0 - T1) * (T0 - T2))
                  v0 <- n * (n - 1) * (2 * n + 5)
                  vt <- sum(xties * (xties - 1) * (2 * xties + 5))
                  vu <- sum(yties * (yties - 1) * (2 * yties + 5))
                  v1 <- sum(xties * (xties - 1)) * sum(yties * (yties - 1))
                  v2 <- sum(xties * (xties - 1) * (xties - 2)) * sum(yties * (yties - 
                    1) * (yties - 2))
                  var_S <- (v0 - vt - vu)/18 + v1/(2 * n * (n - 1)) + v2/(9 * n * 
                    (n - 1) * (n - 2))
                  if (exact && TIES) 
                    warning("Cannot compute exact p-value with ties")
                  if (continuity) 
                    S <- sign(S) * (abs(S) - 1)
                  STATISTIC <- c(z = S/sqrt(var_S))
                  PVAL <- switch(alternative, less = pnorm(STATISTIC), greater = pnorm(STATISTIC, 
                    lower.tail = FALSE), two.sided = 2 * min(pnorm(STATISTIC), pnorm(STATISTIC, 
                    lower.tail = FALSE)))
                }
            }
        }
        else {
            method <- "Spearman's rank correlation rho"
            if (is.null(exact)) 
                exact <- TRUE
            names(NVAL) <- "rho"
            r <- cor(rank(x), rank(y))
            ESTIMATE <- c(rho = r)
            if (!is.finite(ESTIMATE)) {
                ESTIMATE[] <- NA
                STATISTIC <- c(S = NA)
                PVAL <- NA
            }
            else {
                pspearman <- function(q, n, lower.tail = TRUE) {
                  if (n <= 1290 && exact) 
                    .Call(C_pRho, round(q) + 2 * lower.tail, n, lower.tail)
                  else {
                    den <- (n * (n^2 - 1))/6
                    if (continuity) 
                      den <- den + 1
                    r <- 1 - q/den
                    pt(r/sqrt((1 - r^2)/(n - 2)), df = n - 2, lower.tail = !lower.tail)
                  }
                }
                q <- (n^3 - n) * (1 - r)/6
                STATISTIC <- c(S = q)
                if (TIES && exact) {
                  exact <- FALSE
                  warning("Cannot compute exact p-value with ties")
                }
                PVAL <- switch(alternative, two.sided = {
                  p <- if (q > (n^3 - n)/6) pspearman(q, n, lower.tail = FALSE) else pspearman(q, 
                    n, lower.tail = TRUE)
                  min(2 * p, 1)
                }, greater = pspearman(q, n, lower.tail = TRUE), less = pspearman(q, 
                  n, lower.tail = FALSE))
            }
        }
    }
    RVAL <- list(statistic = STATISTIC, parameter = PARAMETER, p.value = as.numeric(PVAL), 
        estimate = ESTIMATE, null.value = NVAL, alternative = alternative, method = method, 
        data.name = DNAME)
    if (conf.int) 
        RVAL <- c(RVAL, list(conf.int = cint))
    class(RVAL) <- "htest"
    RVAL
}

aov <- function (formula, data = NULL, projections = FALSE, qr = TRUE, contrasts = NULL, 
    ...) 
{
    Terms <- if (missing(data)) 
        terms(formula, "Error")
    else terms(formula, "Error", data = data)
    indError <- attr(Terms, "specials")$Error
    if (length(indError) > 1L) 
        stop(sprintf(ngettext(length(indError), "there are %d Error terms: only 1 is allowed", 
            "there are %d Error terms: only 1 is allowed"), length(indError)), domain = NA)
    lmcall <- Call <- match.call()
    lmcall[[1L]] <- quote(stats::lm)
    lmcall$singular.ok <- TRUE
    if (projections) 
        qr <- lmcall$qr <- TRUE
    lmcall$projections <- NULL
    if (is.null(indError)) {
        fit <- eval(lmcall, parent.frame())
        fit$call <- Call
        structure(fit, class = c(if (inherits(fit, "mlm")) "maov", "aov", oldClass(fit)), 
            projections = if (projections) 
                proj(fit))
    }
    else {
        if (pmatch("weights", names(Call), 0L)) 
            stop("weights are not supported in a multistratum aov() fit")
        deparseb <- function(expr) deparse1(expr, backtick = TRUE)
        opcons <- options("contrasts")
        options(contrasts = c("contr.helmert", "contr.poly"))
        on.exit(options(opcons))
        allTerms <- Terms
        errorterm <- attr(Terms, "variables")[[1L + indError]]
        intercept <- attr(Terms, "intercept")
        ecall <- lmcall
        ecall$formula <- as.formula(paste(deparseb(formula[[2L]]), "~", deparseb(errorterm[[2L]]), 
            if (!intercept) 
                "- 1"), env = environment(formula))
        ecall$method <- "qr"
        ecall$qr <- TRUE
        ecall$contrasts <- NULL
        er.fit <- eval(ecall, parent.frame())
        options(opcons)
        nmstrata <- attr(terms(er.fit), "term.labels")
        nmstrata <- sub("^`(.*)`$", "\\1", nmstrata)
        nmstrata <- c("(Intercept)", nmstrata)
        qr.e <- er.fit$qr
        rank.e <- er.fit$rank
        if (rank.e < NROW(er.fit$coefficients)) 
            warning("Error() model is singular")
        qty <- er.fit$residuals
        maov <- is.matrix(qty)
        asgn.e <- er.fit$assign[qr.e$pivot[1L:rank.e]]
        maxasgn <- length(nmstrata) - 1L
        nobs <- NROW(qty)
        len <- if (nobs > rank.e) {
            asgn.e[(rank.e + 1L):nobs] <- maxasgn + 1L
            nmstrata <- c(nmstrata, "Within")
            maxasgn + 2L
        }
        else maxasgn + 1L
        result <- setNames(vector("list", len), nmstrata)
        lmcall$formula <- form <- update(formula, paste(". ~ .-", deparseb(errorterm)))
        Terms <- terms(form)
        lmcall$method <- "model.frame"
        mf <- eval(lmcall, parent.frame())
        xlev <- .getXlevels(Terms, mf)
        resp <- model.response(mf)
        qtx <- model.matrix(Terms, mf, contrasts)
        cons <- attr(qtx, "contrasts")
        dnx <- colnames(qtx)
        asgn.t <- attr(qtx, "assign")
        if (length(wts <- model.weights(mf))) {
            wts <- sqrt(wts)
            resp <- resp * wts
            qtx <- qtx * wts
        }
        qty <- as.matrix(qr.qty(qr.e, resp))
        if ((nc <- ncol(qty)) > 1L) {
            dny <- colnames(resp) %||% paste0("Y", 1L:nc)
            dimnames(qty) <- list(seq(nrow(qty)), dny)
        }
        else dimnames(qty) <- list(seq(nrow(qty)), NULL)
        qtx <- qr.qty(qr.e, qtx)
        dimnames(qtx) <- list(seq(nrow(qtx)), dnx)
        for (i in seq_along(nmstrata)) {
            select <- asgn.e == (i - 1L)
            ni <- sum(select)
            if (!ni) 
                next
            xi <- qtx[select, , drop = FALSE]
            cols <- colSums(xi^2) > 1e-05
            if (any(cols)) {
                xi <- xi[, cols, drop = FALSE]
                attr(xi, "assign") <- asgn.t[cols]
                fiti <- lm.fit(xi, qty[select, , drop = FALSE])
                fiti$terms <- Terms
            }
            else {
                y <- qty[select, , drop = FALSE]
                fiti <- list(coefficients = numeric(), residuals = y, fitted.values = 0 * 
                  y, weights = wts, rank = 0L, df.residual = NROW(y))
            }
            if (projections) 
                fiti$projections <- proj(fiti)
            class(fiti) <- c(if (maov) "maov", "aov", oldClass(er.fit))
            result[[i]] <- fiti
        }
        structure(class = c("aovlist", "listof"), result[!vapply(result, is.null, 
            NA)], error.qr = if (qr) 
            qr.e, call = Call, weights = if (length(wts)) 
            wts, terms = allTerms, contrasts = cons, xlevels = xlev)
    }
}

x1 <- summary(lm(y ~ x + I(x^2), data = d[d$g == 1, ]))$r.squared
x2 <- summary(lm(y ~ x + I(x^2), data = d[d$g == 2, ]))$r.squared
x3 <- summary(lm(y ~ x + I(x^2), data = d[d$g == 3, ]))$r.squared
x4 <- summary(lm(y ~ x + I(x^2), data = d[d$g == 4, ]))$r.squared
x5 <- summary(lm(y ~ x + I(x^2), data = d[d$g == 5, ]))$r.squared
x6 <- summary(lm(y ~ x + I(x^2), data = d[d$g == 6, ]))$r.squared
x7 <- summary(lm(y ~ x + I(x^2), data = d[d$g == 7, ]))$r.squared
x8 <- summary(lm(y ~ x + I(x^2), data = d[d$g == 8, ]))$r.squared
x9 <- summary(lm(y ~ x + I(x^2), data = d[d$g == 9, ]))$r.squared
x10 <- summary(lm(y ~ x + I(x^2), data = d[d$g == 10, ]))$r.squared
x11 <- summary(lm(y ~ x + I(x^2), data = d[d$g == 11, ]))$r.squared
x12 <- summary(lm(y ~ x + I(x^2), data = d[d$g == 12, ]))$r.squared
x13 <- summary(lm(y ~ x + I(x^2), data = d[d$g == 13, ]))$r.squared
x14 <- summary(lm(y ~ x + I(x^2), data = d[d$g == 14, ]))$r.squared
x15 <- summary(lm(y ~ x + I(x^2), data = d[d$g == 15, ]))$r.squared
x16 <- summary(lm(y ~ x + I(x^2), data = d[d$g == 16, ]))$r.squared
x17 <- summary(lm(y ~ x + I(x^2), data = d[d$g == 17, ]))$r.squared
x18 <- summary(lm(y ~ x + I(x^2), data = d[d$g == 18, ]))$r.squared
x19 <- summary(lm(y ~ x + I(x^2), data = d[d$g == 19, ]))$r.squared
x20 <- summary(lm(y ~ x + I(x^2), data = d[d$g == 20, ]))$r.squared
x21 <- summary(lm(y ~ x + I(x^2), data = d[d$g == 21, ]))$r.squared
x22 <- summary(lm(y ~ x + I(x^2), data = d[d$g == 22, ]))$r.squared
x23 <- summary(lm(y ~ x + I(x^2), data = d[d$g == 23, ]))$r.squared
x24 <- summary(lm(y ~ x + I(x^2), data = d[d$g == 24, ]))$r.squared
x25 <- summary(lm(y ~ x + I(x^2), data = d[d$g == 25, ]))$r.squared
x26 <- summary(lm(y ~ x + I(x^2), data = d[d$g == 26, ]))$r.squared
