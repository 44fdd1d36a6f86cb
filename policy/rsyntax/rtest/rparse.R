# rparse.R: R's side of the differential tests of policy/rsyntax and
# policy/refs. It parses inputs with R's own parse() and prints, for each
# input, either the error R reports or the number of top-level
# expressions and the getParseData() tokens the tests compare (calls,
# packages, ::, :::, "f"(x)), and the parser's warnings.
#
#   Rscript rparse.R parse   IN.bin OUT.txt
#       IN.bin holds records (4-byte little-endian length, then the bytes).
#   Rscript rparse.R deparse PKG[,PKG...] OUT.bin
#       Deparses every closure of the packages' namespaces (control = "all")
#       and writes the texts R itself parses back as records to OUT.bin.
#   Rscript rparse.R time FILE N
#       Prints the median of N timings of parse() + getParseData() on FILE.
#   Rscript rparse.R compare IN.bin OUT.txt
#       IN.bin holds pairs of records: a source and a program that builds
#       Go's parse of it (see build below). For each pair R checks that the
#       source parses (keep.source = FALSE) to an identical() expression.
#
# Output per input (parse): "@ INDEX", then either "! LINE COL MESSAGE" (LINE COL
# are -1 -1 when R gives no position) or "= N" (top-level expressions),
# lines "t LINE COL TOKEN TEXT" and "w WARNING". Strings are quoted with
# bytes outside printable ASCII as \xHH. compare prints "same" or "diff"
# followed by both deparsed expressions. parse ends each record with "."
# and its output with "END".

esc <- function(s, q) {
  if (!grepl("[^ -~]", s, useBytes = TRUE) &&
      !grepl(q, s, fixed = TRUE, useBytes = TRUE) &&
      !grepl("\\", s, fixed = TRUE, useBytes = TRUE))
    return(paste0(q, s, q))
  b <- as.integer(charToRaw(s))
  ok <- b >= 0x20 & b <= 0x7e & b != utf8ToInt(q) & b != 0x5c
  ch <- sprintf("\\x%02x", b)
  ch[ok] <- vapply(b[ok], function(x) rawToChar(as.raw(x)), "")
  paste0(q, paste(ch, collapse = ""), q)
}

# tokens returns the parse-data rows the tests compare, as "t" lines. It
# reads the raw parse data (what getParseData() formats) for speed: rows
# are line1, col1, line2, col2, terminal, token, id, parent.
tokens <- function(e) {
  pd <- attr(e, "srcfile")$parseData
  if (is.null(pd)) return(character())
  tok <- attr(pd, "tokens")
  txt <- attr(pd, "text")
  m <- unclass(pd)
  line1 <- m[1L, ]; col1 <- m[2L, ]; id <- m[7L, ]; parent <- m[8L, ]
  keep <- tok %in% c("SYMBOL_FUNCTION_CALL", "SYMBOL_PACKAGE", "NS_GET", "NS_GET_INT")
  # "f"(x): a STR_CONST that is the only child of the first child of an
  # expression that also has a '(' child.
  s <- which(tok == "STR_CONST")
  if (length(s)) {
    row <- match(parent[s], id)
    nchild <- tabulate(match(parent, id), nbins = length(id))
    ok <- !is.na(row) & nchild[pmax(row, 1L)] == 1L
    q <- parent[pmax(row, 1L)]
    o <- order(parent, line1, col1)
    first <- o[!duplicated(parent[o])]
    firstOf <- first[match(q, parent[first])]
    ok <- ok & !is.na(firstOf) & firstOf == row & q %in% parent[tok == "'('"]
    keep[s[ok]] <- TRUE
  }
  i <- which(keep)
  i <- i[order(line1[i], col1[i])]
  if (!length(i)) return(character())
  # Names in backticks and string constants are given by value.
  val <- txt[i]
  quoted <- tok[i] == "STR_CONST" | startsWith(val, "`")
  val[quoted] <- vapply(val[quoted], function(t)
    tryCatch(as.character(str2lang(t)), error = function(e) t), "")
  paste("t", line1[i], col1[i], tok[i], vapply(val, esc, "", q = "\""))
}

one <- function(s) {
  # Text the proxy hands R is marked UTF-8, so the lexer counts columns in
  # characters (known_to_be_utf8); unmarked text would count bytes.
  Encoding(s) <- "UTF-8"
  warns <- character()
  e <- tryCatch(withCallingHandlers(parse(text = s, keep.source = TRUE),
                                    warning = function(w) {
                                      warns <<- c(warns, conditionMessage(w))
                                      invokeRestart("muffleWarning")
                                    }),
                error = function(err) err)
  if (inherits(e, "error")) {
    msg <- conditionMessage(e)
    m <- regmatches(msg, regexec("^[^\n]*?:([0-9]+):([0-9]+): ([^\n]*)", msg))[[1]]
    if (length(m)) return(paste("!", m[2], m[3], esc(m[4], "\"")))
    # Without a usable line number R says 'unexpected symbol in "x y"'.
    m <- regmatches(msg, regexec("^(unexpected [^\n]*) in \"", msg))[[1]]
    if (length(m)) return(paste("! -1 -1", esc(m[2], "\"")))
    return(paste("! -1 -1", esc(msg, "\"")))
  }
  c(paste("=", length(e)),
    tokens(e),
    if (length(warns)) paste("w", vapply(warns, esc, "", q = "\"")))
}

readRecords <- function(path) {
  con <- file(path, "rb")
  on.exit(close(con))
  out <- list()
  repeat {
    n <- readBin(con, "integer", 1L, size = 4L, endian = "little")
    if (!length(n)) break
    out[[length(out) + 1L]] <- if (n == 0L) "" else rawToChar(readBin(con, "raw", n))
  }
  unlist(out)
}

writeRecords <- function(x, path) {
  con <- file(path, "wb")
  on.exit(close(con))
  for (s in x) {
    b <- charToRaw(enc2utf8(s))
    writeBin(length(b), con, size = 4L, endian = "little")
    writeBin(b, con)
  }
}

# run writes each input's result and flushes it: in R 4.2.2 a parse with
# keep.source = TRUE can loop forever after certain earlier parses in the
# same process (apparently a stale entry of the parse-data id table, which
# R_FinalizeSrcRefState clears only below the last id). The Go side
# watches the output and restarts R after the last complete record.
run <- function(inputs, out) {
  con <- file(out, "w")
  on.exit(close(con))
  for (i in seq_along(inputs)) {
    writeLines(c(paste("@", i - 1L), one(inputs[[i]]), "."), con, useBytes = TRUE)
    flush(con)
  }
  writeLines("END", con)
}

deparseAll <- function(pkgs) {
  texts <- list()
  for (pkg in pkgs) {
    ns <- asNamespace(pkg)
    for (nm in sort(ls(ns, all.names = TRUE))) {
      f <- get(nm, envir = ns)
      if (!is.function(f) || is.primitive(f)) next
      txt <- paste(deparse(f, width.cutoff = 80L, control = "all"), collapse = "\n")
      ok <- tryCatch({ parse(text = txt, keep.source = FALSE); TRUE },
                     error = function(e) FALSE, warning = function(w) FALSE)
      if (ok) texts[[length(texts) + 1L]] <- txt
    }
  }
  unlist(texts)
}

# firstDiff descends to the smallest pair of sub-expressions that differ.
firstDiff <- function(a, b) {
  if ((is.call(a) && is.call(b) || is.expression(a) && is.expression(b) ||
       is.pairlist(a) && is.pairlist(b) && !is.null(a)) &&
      length(a) == length(b) && identical(names(a), names(b))) {
    # No local copies: an element may be the empty argument, which R
    # refuses to read from a variable.
    for (i in seq_along(a))
      if (!identical(a[[i]], b[[i]])) return(firstDiff(a[[i]], b[[i]]))
  }
  list(a, b)
}

show <- function(x) paste(c(deparse(x, control = "all"), paste0("  [", typeof(x), "]")), collapse = " ")

hexToRaw <- function(h) {
  if (is.na(h) || !nzchar(h)) return(raw())  # "T " splits to one field
  as.raw(strtoi(substring(h, seq(1L, nchar(h), 2L), seq(2L, nchar(h), 2L)), 16L))
}

hexStr <- function(h) {
  s <- rawToChar(hexToRaw(h))
  if (validUTF8(s)) Encoding(s) <- "UTF-8"
  s
}

# build runs a tree program (rsyntax's test encoder): one instruction per
# line, building the expressions on a stack, so that trees of any depth
# can be compared without R's parser (whose bracket stack holds 50).
#   S hex          symbol          T hex   string
#   N type text    number          K name  keyword constant
#   M              empty argument
#   C n tag...     call: pops the function and n arguments ("-" = no tag)
#   F k name...    function: pops k defaults (M when none) and the body
#   E n            the n top-level expressions (last instruction)
build <- function(prog) {
  st <- vector("list", 256L)
  sp <- 0L
  for (ln in strsplit(prog, "\n", fixed = TRUE)[[1]]) {
    w <- strsplit(ln, " ", fixed = TRUE)[[1]]
    op <- w[1L]
    if (op == "C" || op == "F" || op == "E") {
      n <- as.integer(w[2L])
      if (op == "C") {
        l <- st[(sp - n):sp]
        tags <- c("", if (n > 0L) vapply(w[-(1:2)], function(t) if (t == "-") "" else hexStr(t), ""))
        if (any(nzchar(tags))) names(l) <- tags
        sp <- sp - n
        st[sp] <- list(as.call(l))
      } else if (op == "F") {
        fm <- if (n > 0L) st[(sp - n):(sp - 1L)] else list()
        if (n > 0L) names(fm) <- vapply(w[-(1:2)], hexStr, "")
        body <- st[sp]
        sp <- sp - n
        st[sp] <- list(as.call(c(list(as.name("function"), as.pairlist(fm)), body, list(NULL))))
      } else {
        return(as.expression(if (n > 0L) st[(sp - n + 1L):sp] else list()))
      }
      next
    }
    sp <- sp + 1L
    if (sp > length(st)) length(st) <- 2L * length(st)
    st[sp] <- list(switch(op,
      S = as.name(hexStr(w[2L])),
      T = hexStr(w[2L]),
      N = { v <- suppressWarnings(str2lang(w[3L]))
            if (!identical(typeof(v), w[2L])) stop("number ", w[3L], " is ", typeof(v), " in R, ", w[2L], " in Go")
            v },
      K = str2lang(w[2L]),
      M = quote(expr = ),
      stop("bad instruction ", ln)))
  }
  stop("program without E")
}

compare <- function(inputs, out) {
  con <- file(out, "w")
  on.exit(close(con))
  p <- function(s) tryCatch({
    Encoding(s) <- "UTF-8"
    suppressWarnings(parse(text = s, keep.source = FALSE))
  },
                            error = function(e) e)
  for (i in seq_len(length(inputs) %/% 2L)) {
    a <- p(inputs[[2L * i - 1L]])
    b <- tryCatch(build(inputs[[2L * i]]), error = function(e) e)
    res <- if (!inherits(a, "error") && !inherits(b, "error") && identical(a, b)) "same"
           else if (inherits(a, "error") || inherits(b, "error"))
             c("diff",
               paste("R:", if (inherits(a, "error")) conditionMessage(a) else "parsed"),
               paste("Go:", if (inherits(b, "error")) conditionMessage(b) else "parsed"))
           else {
             d <- firstDiff(a, b)
             c("diff", paste("R: ", show(d[[1]])), paste("Go:", show(d[[2]])))
           }
    writeLines(c(paste("@", i - 1L), res), con, useBytes = TRUE)
  }
}

# timeParse prints the median time, in nanoseconds, of R's own
# parse(text = ., keep.source = TRUE) plus getParseData() on a file.
timeParse <- function(path, n) {
  txt <- paste(readLines(path, encoding = "UTF-8"), collapse = "\n")
  Encoding(txt) <- "UTF-8"
  one <- function() getParseData(parse(text = txt, keep.source = TRUE))
  for (i in 1:3) one()
  times <- numeric(n)
  for (i in seq_len(n)) {
    t0 <- Sys.time()
    one()
    times[i] <- as.numeric(Sys.time() - t0, units = "secs")
  }
  cat(sprintf("%.0f\n", median(times) * 1e9))
}

args <- commandArgs(TRUE)
if (length(args) == 3L && args[1] == "parse") {
  run(readRecords(args[2]), args[3])
} else if (length(args) == 3L && args[1] == "time") {
  timeParse(args[2], as.integer(args[3]))
} else if (length(args) == 3L && args[1] == "compare") {
  compare(readRecords(args[2]), args[3])
} else if (length(args) == 3L && args[1] == "deparse") {
  writeRecords(deparseAll(strsplit(args[2], ",", fixed = TRUE)[[1]]), args[3])
} else {
  stop("usage: rparse.R parse IN OUT | compare IN OUT | deparse PKGS OUT | time FILE N")
}
