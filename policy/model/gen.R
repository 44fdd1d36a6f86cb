# gen.R derives rwarden's parameter model from the installed R: for every
# function of the modelled packages, how each formal argument is used.
#
#   fun          looked up or called as a function (match.fun, get, a call)
#   code         evaluated as R code (an expression, a call, or a string
#                parsed as code)
#   formula      a formula, or a string turned into one, later evaluated
#   env          used as an environment
#   unserialize  bytes, a connection or a file that is unserialized
#
# Every other formal is a value and is not listed. The kinds start from a
# reviewed table for primitives, .Internal()s and a few closures whose use
# of an argument no walk can see (hand.tsv), and spread through the bodies
# of the closures to a fixed point: a formal passed to a formal of a known
# kind takes that kind. S3 generics list their methods' formals too, since
# a call of the generic reaches them through dispatch.
#
# Run from this directory: Rscript gen.R > params.tsv (go generate does).
# The output is sorted and does not depend on the run; review its diff
# like code whenever R or a package changes.

suppressPackageStartupMessages({
  for (p in c("stats", "utils", "methods", "graphics", "grDevices", "datasets",
              "grid", "splines", "stats4", "tools", "parallel", "compiler",
              "jsonlite", "data.table")) {
    loadNamespace(p)
  }
})
pkgs <- sort(c("base", "stats", "utils", "methods", "graphics", "grDevices",
               "datasets", "grid", "splines", "stats4", "tools", "parallel",
               "compiler", "jsonlite", "data.table"))
# When walks give a formal several kinds, the first of these wins (the
# strictest for the static check); a kind from hand.tsv is never replaced.
kindOrder <- c("fun", "formula", "code", "env", "unserialize")
fixed <- new.env(hash = TRUE)

hand <- utils::read.delim("hand.tsv", comment.char = "#", header = FALSE,
                          col.names = c("what", "param", "kind", "note"),
                          colClasses = "character", strip.white = TRUE)
# "value" in hand.tsv pins a formal as a plain value where the walk is
# too coarse (see the note of each such row).
stopifnot(all(hand$kind %in% c(kindOrder, "value")))

# key -> list(formals, kinds (named chr), via (named chr), dots (chr))
model <- new.env(hash = TRUE)
# function identity -> key, to resolve a callee found in a body
keyOf <- function(pkg, name) paste0(pkg, "::", name)

fmls <- function(f) {
  a <- suppressWarnings(formals(if (is.primitive(f)) args(f) else f))
  if (is.null(a)) character() else names(a)
}

closures <- list()
for (pkg in pkgs) {
  ns <- asNamespace(pkg)
  for (name in sort(ls(ns, all.names = TRUE))) {
    f <- get(name, envir = ns)
    if (!is.function(f)) next
    if (methods::is(f, "standardGeneric") || methods::is(f, "derivedDefaultMethod")) {
      d <- methods::finalDefaultMethod(f@default)
      f <- if (is.null(d)) f@.Data else d@.Data
    }
    k <- keyOf(pkg, name)
    model[[k]] <- list(formals = fmls(f), kinds = character(), via = character(), carries = character(), written = logical())
    if (typeof(f) == "closure") closures[[k]] <- f
  }
}

# .Internal(name(...)) seeds: "internal:NAME" rows of hand.tsv, by position.
internal <- list()
# setKind gives formal param of k a kind (the first in kindOrder wins).
# carries, for ..., names the formals of a callee that ... may reach ("" for
# every argument in ...).
# written is set for code evaluated as the caller wrote it (a promise
# forced, substitute()): the static check sees that code; it is cleared
# when some use evaluates the argument's value as code.
setKind <- function(k, param, kind, why, carries = "", written = FALSE) {
  m <- model[[k]]
  if (is.null(m) || !(param %in% m$formals)) return(FALSE)
  if (!is.null(fixed[[paste(k, param)]])) return(FALSE)
  if (kind == "code") {
    ow <- unname(m$written[param])
    nw <- if (is.na(ow)) written else (ow && written)
    if (!identical(ow, nw)) {
      m$written[param] <- nw
      if (!is.na(ow)) { model[[k]] <- m; return(TRUE) }
    }
  }
  old <- unname(m$kinds[param])
  if (!is.na(old) && match(old, kindOrder) < match(kind, kindOrder)) return(FALSE)
  if (is.null(carries) || is.na(carries)) carries <- ""
  if (param == "...") {
    oc <- unname(m$carries[param])
    if (is.na(oc) || !identical(oc, "")) {
      nc <- if (identical(carries, "") || (!is.na(oc) && identical(oc, ""))) "" else
        paste(sort(unique(c(if (!is.na(oc)) strsplit(oc, ",")[[1]], carries))), collapse = ",")
      if (!is.na(old) && old == kind && identical(nc, oc)) return(FALSE)
      m$carries[param] <- nc
    } else if (!is.na(old) && old == kind) return(FALSE)
  } else if (!is.na(old) && old == kind) return(FALSE)
  m$kinds[param] <- kind
  m$via[param] <- why
  model[[k]] <- m
  TRUE
}
for (i in seq_len(nrow(hand))) {
  h <- hand[i, ]
  if (startsWith(h$what, "internal:")) {
    nm <- sub("^internal:", "", h$what)
    internal[[nm]] <- rbind(internal[[nm]], data.frame(pos = as.integer(h$param), kind = h$kind))
  } else {
    if (is.null(model[[h$what]]) || !(h$param %in% model[[h$what]]$formals))
      stop("hand.tsv names no formal: ", h$what, " ", h$param)
    if (h$kind != "value") setKind(h$what, h$param, h$kind, paste0("hand: ", h$note), written = grepl("as written", h$note))
    fixed[[paste(h$what, h$param)]] <- TRUE
  }
}

# R's argument matching (exact, partial before ..., positional before ...),
# returning for each formal the index of its argument.
matchTo <- function(formals, argnames) {
  n <- length(argnames)
  used <- logical(n)
  out <- integer(length(formals)); names(out) <- formals
  dots <- match("...", formals, nomatch = length(formals) + 1L)
  for (i in seq_len(n)) if (nzchar(argnames[i])) {
    j <- match(argnames[i], formals)
    if (!is.na(j) && formals[j] != "...") { out[j] <- i; used[i] <- TRUE }
  }
  for (i in seq_len(n)) if (nzchar(argnames[i]) && !used[i]) {
    cand <- which(startsWith(formals, argnames[i]) & seq_along(formals) < dots & out == 0L)
    if (length(cand) == 1L) { out[cand] <- i; used[i] <- TRUE }
  }
  pos <- which(!used & !nzchar(argnames))
  for (j in seq_along(formals)) {
    if (j >= dots) break
    if (out[j] == 0L && length(pos)) { out[j] <- pos[1]; used[pos[1]] <- TRUE; pos <- pos[-1] }
  }
  out
}

# The formal a piece of a body stands for: p, substitute(p), quote(p).
formalOf <- function(e, formals) {
  if (is.symbol(e)) {
    s <- as.character(e)
    if (s %in% formals) return(s)
  } else if (is.call(e) && length(e) == 2L && is.symbol(e[[1]]) &&
             as.character(e[[1]]) %in% c("substitute", "quote", "match.fun", "enquote", "force", "as.name", "as.symbol", "as.character")) {
    f <- formalOf(e[[2]], formals)
    if (!is.na(f) && as.character(e[[1]]) %in% c("substitute", "quote")) attr(f, "written") <- TRUE
    return(f)
  }
  NA_character_
}

# give sets the kind a formal takes from being passed as argument a of a
# formal of kind kind (written: evaluated as the caller wrote it).
give <- function(k, f, kind, why, written = FALSE, carries = "") {
  if (is.na(f)) return(FALSE)
  sub <- isTRUE(attr(f, "written"))
  f <- as.vector(f)
  if (kind == "code") {
    # substitute(p) evaluated as code is p as written; substitute(p)
    # forced as written is only a language object.
    if (sub && written) return(FALSE)
    return(setKind(k, f, kind, why, carries, written = sub || written))
  }
  setKind(k, f, kind, why, carries)
}

calleeKey <- function(fn, env) {
  if (is.call(fn) && length(fn) == 3L && as.character(fn[[1]]) %in% c("::", ":::")) {
    k <- keyOf(as.character(fn[[2]]), as.character(fn[[3]]))
    return(if (is.null(model[[k]])) NA_character_ else k)
  }
  if (!is.symbol(fn)) return(NA_character_)
  name <- as.character(fn)
  g <- get0(name, envir = env, mode = "function")
  if (is.null(g)) return(NA_character_)
  e <- if (is.primitive(g)) baseenv() else environment(g)
  pkg <- if (is.null(e)) "base" else environmentName(e)
  if (identical(e, baseenv()) || identical(e, .BaseNamespaceEnv)) pkg <- "base"
  k <- keyOf(pkg, name)
  if (is.null(model[[k]])) NA_character_ else k
}

# walk records into key k the kinds its formals take in body e.
walk <- function(k, e, formals, env) {
  changed <- FALSE
  if (!is.call(e)) return(FALSE)
  fn <- e[[1]]
  args <- as.list(e)[-1]
  argnames <- names(args); if (is.null(argnames)) argnames <- rep("", length(args))
  # A formal in call position is called when its value is a function. A
  # formal named like a function the closure sees (cat's file calls
  # file()) is left out: R's findFun skips a value that is not a function,
  # so a name or string passed there is never looked up.
  if (is.symbol(fn) && as.character(fn) %in% setdiff(formals, "...") &&
      is.null(get0(as.character(fn), envir = env, mode = "function"))) {
    changed <- setKind(k, as.character(fn), "fun", "called") || changed
  }
  if (identical(fn, as.name(".Internal")) && length(args) == 1L && is.call(args[[1]])) {
    ic <- args[[1]]
    seeds <- internal[[as.character(ic[[1]])]]
    for (r in seq_len(NROW(seeds))) {
      p <- seeds$pos[r]
      if (p + 1L <= length(ic) && (is.symbol(ic[[p + 1L]]) || is.call(ic[[p + 1L]]))) {
        f <- formalOf(ic[[p + 1L]], formals)
        changed <- give(k, f, seeds$kind[r], paste0(".Internal(", as.character(ic[[1]]), ") argument ", p)) || changed
      }
    }
  } else {
    ck <- calleeKey(fn, env)
    if (!is.na(ck) && ck != k) {
      cm <- model[[ck]]
      if (length(cm$kinds)) {
        mt <- matchTo(cm$formals, argnames)
        hasDots <- FALSE
        for (j in seq_along(args)) if (is.symbol(args[[j]]) && identical(as.character(args[[j]]), "...")) hasDots <- TRUE
        # substitute and quote are specials that never evaluate or expand
        # their arguments: in substitute(...) the symbol ... is expr itself
        # (polym's error message), so ... reaches no other formal (env).
        if (ck %in% c("base::substitute", "base::quote")) hasDots <- FALSE
        for (cf in names(cm$kinds)) {
          # do.call's args are the arguments of the call it makes, checked
          # where do.call is called; they do not make a caller's formal code.
          if (ck == "base::do.call" && cf == "args") next
          i <- if (cf == "...") 0L else mt[[cf]]
          if (i > 0L) {
            if (is.symbol(args[[i]]) || is.call(args[[i]])) {
              f <- formalOf(args[[i]], formals)
              changed <- give(k, f, cm$kinds[[cf]], paste0("passed to ", cf, " of ", ck), isTRUE(cm$written[cf])) || changed
            }
          } else if (cf == "..." ) {
            # Every argument of ... is of that kind.
            for (j in which(!(seq_along(args) %in% mt))) {
              if (!is.symbol(args[[j]]) && !is.call(args[[j]])) next
              f <- formalOf(args[[j]], formals)
              if (!is.na(f) && f != "...") changed <- give(k, f, cm$kinds[[cf]], paste0("passed in ... of ", ck), isTRUE(cm$written[cf])) || changed
            }
            if (hasDots && "..." %in% formals) changed <- setKind(k, "...", cm$kinds[[cf]], paste0("... passed to ... of ", ck), cm$carries[["..."]]) || changed
          } else if (hasDots && "..." %in% formals) {
            changed <- setKind(k, "...", cm$kinds[[cf]], paste0("... may carry ", cf, " of ", ck), cf) || changed
          }
        }
      }
    }
  }
  parts <- as.list(e)
  for (i in seq_along(parts)) {
    if (is.call(parts[[i]])) changed <- walk(k, parts[[i]], formals, env) || changed
    else if (is.pairlist(parts[[i]])) {
      # function(...) literal: its defaults
      pl <- as.list(parts[[i]])
      for (j in seq_along(pl)) if (is.call(pl[[j]])) changed <- walk(k, pl[[j]], formals, env) || changed
    }
  }
  changed
}

# S3 methods of each generic, from the namespaces' registration tables.
methodsOf <- list()
for (pkg in pkgs) {
  tab <- get0(".__S3MethodsTable__.", envir = asNamespace(pkg), inherits = FALSE)
  if (is.null(tab)) next
  for (m in sort(ls(tab, all.names = TRUE))) {
    f <- get(m, envir = tab)
    if (typeof(f) != "closure") next
    e <- environment(f)
    mp <- environmentName(e)
    mk <- keyOf(mp, m)
    if (is.null(model[[mk]])) next
    # the generic is the longest registered prefix: try every split
    parts <- strsplit(m, ".", fixed = TRUE)[[1]]
    for (i in seq_len(length(parts) - 1L)) {
      g <- paste(parts[seq_len(i)], collapse = ".")
      methodsOf[[g]] <- unique(c(methodsOf[[g]], mk))
    }
  }
}

for (iter in 1:30) {
  changed <- FALSE
  for (k in names(closures)) {
    f <- closures[[k]]
    fm <- model[[k]]$formals
    if (!length(fm)) next
    env <- environment(f)
    if (is.null(env)) env <- baseenv()
    fs <- as.list(formals(f))
    for (j in seq_along(fs)) if (is.call(fs[[j]])) changed <- walk(k, fs[[j]], fm, env) || changed
    changed <- walk(k, body(f), fm, env) || changed
  }
  if (!changed) break
}
if (changed) stop("no fixed point after 30 rounds")

exported <- function(pkg) if (pkg == "base") ls(.BaseNamespaceEnv, all.names = TRUE) else getNamespaceExports(pkg)
rows <- character()
emit <- function(pkg, name, sig, m) {
  for (p in names(m$kinds)) {
    if (grepl("[\t\n,]", p) || grepl("[\t\n]", name)) stop("unexpected character in ", name, " ", p)
    carries <- if (p == "...") m$carries[p] else ""
    if (is.na(carries)) carries <- ""
    written <- if (m$kinds[[p]] == "code" && isTRUE(m$written[p])) "written" else ""
    rows <<- c(rows, paste(pkg, name, sig, paste(m$formals, collapse = ","), p, m$kinds[[p]], written, carries, m$via[[p]], sep = "\t"))
  }
}
for (pkg in pkgs) {
  for (name in sort(exported(pkg))) {
    m <- model[[keyOf(pkg, name)]]
    if (is.null(m)) next
    emit(pkg, name, "", m)
    # A generic reaches its methods' formals through dispatch.
    f <- get(name, envir = asNamespace(pkg))
    if (typeof(f) == "closure" && "UseMethod" %in% all.names(body(f))) {
      for (mk in sort(methodsOf[[name]])) {
        mm <- model[[mk]]
        if (!length(mm$kinds)) next
        emit(pkg, name, sub("^.*::", "", mk), mm)
      }
    }
  }
}
rows <- sort(unique(rows), method = "radix")
cat("# rwarden parameter model, generated by policy/model/gen.R from R ",
    R.version$major, ".", R.version$minor, " (", paste(vapply(setdiff(pkgs, "base"), function(p) paste0(p, " ", format(packageVersion(p))), ""), collapse = ", "),
    "). Do not edit; see gen.R.\n", sep = "")
cat("# package\tfunction\tsignature (method, empty for its own)\tformals\tparam\tkind\twritten (code evaluated as the caller wrote it)\tcarries (for ...: the formals it may reach, empty for any)\twhy\n")
cat(rows, sep = "\n")
cat("\n")
