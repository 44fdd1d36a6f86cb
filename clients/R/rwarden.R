# Client for rwarden's framed protocol, in base R only (socketConnection,
# writeBin, readBin; no packages).
#
#   source("rwarden.R")
#   cat(rwarden_eval("summary(cars)", host = "localhost", port = 9090))
#
# Plaintext only: base R's socketConnection() has no TLS. Use it against a
# plaintext listener on loopback or through a TLS tunnel (for example stunnel
# or ssh -L); for TLS use the Python client or `rwarden eval`.
#
# Wire format: optionally "AUTH <base64(user:password)>\n", the encoding name
# and "\n", the code's length as 8 bytes unsigned little-endian, the code in
# that encoding. The answer: an 8-byte little-endian length, then that many
# bytes of text in the same encoding. The server then closes the connection.
#
# Streaming (stream = TRUE, or a function): the request starts with the line
# "STREAM\n" and the answer comes as frames while R runs on the server: one
# kind byte ('o' output, 'r' the rest of the answer, always last), an 8-byte
# little-endian length, that many bytes of text. Output goes to stream (TRUE:
# printed at once with cat()); the return value is the rest of the answer
# (the error text of a failed evaluation, or "").

# Base64 (RFC 4648, with padding) of a raw vector, written out by hand because
# base R has no encoder.
.rwarden_base64 <- function(bytes) {
  alphabet <- strsplit(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", "")[[1]]
  x <- as.integer(bytes)
  n <- length(x)
  if (n == 0L) return("")
  pad <- (3L - n %% 3L) %% 3L
  x <- c(x, rep(0L, pad))
  out <- character(length(x) / 3L * 4L)
  j <- 1L
  for (i in seq(1L, length(x), by = 3L)) {
    triple <- x[i] * 65536L + x[i + 1L] * 256L + x[i + 2L]
    out[j]      <- alphabet[triple %/% 262144L + 1L]
    out[j + 1L] <- alphabet[(triple %/% 4096L) %% 64L + 1L]
    out[j + 2L] <- alphabet[(triple %/% 64L) %% 64L + 1L]
    out[j + 3L] <- alphabet[triple %% 64L + 1L]
    j <- j + 4L
  }
  if (pad > 0L) out[(length(out) - pad + 1L):length(out)] <- "="
  paste(out, collapse = "")
}

# 8 bytes, unsigned little-endian. Doubles hold integers exactly up to 2^53,
# far beyond any request size.
.rwarden_u64le <- function(n) {
  as.raw((n %/% 256^(0:7)) %% 256)
}

.rwarden_read_u64le <- function(b) {
  sum(as.numeric(as.integer(b)) * 256^(0:7))
}

# Read exactly n bytes: readBin may return fewer bytes than asked for, the
# answer can arrive in many segments.
.rwarden_read_exactly <- function(con, n) {
  chunks <- list()
  got <- 0
  while (got < n) {
    chunk <- readBin(con, what = "raw", n = min(n - got, 1048576))
    if (length(chunk) == 0L) {
      stop(sprintf("rwarden: connection closed after %.0f of %.0f bytes", got, n),
           call. = FALSE)
    }
    chunks[[length(chunks) + 1L]] <- chunk
    got <- got + length(chunk)
  }
  unlist(chunks, use.names = FALSE)
}

# Evaluate code on an rwarden server and return the answer as a character
# string (UTF-8). code may be a character vector (lines are joined with "\n").
# With user set, an AUTH line is sent; password defaults to the environment
# variable RWARDEN_PASSWORD. R errors, policy denials and limits come back as
# answers starting with "Error"; connection failures are R errors.
rwarden_eval <- function(code, host = "localhost", port = 9090, user = NULL,
                         password = NULL, encoding = "UTF-8", timeout = 300,
                         max_answer = 256 * 1024^2, stream = FALSE) {
  if (isTRUE(stream)) stream <- function(text) { cat(text); flush(stdout()) }
  streaming <- is.function(stream)
  stopifnot(is.character(code), is.character(encoding), length(encoding) == 1L,
            nchar(encoding) > 0L, nchar(encoding) <= 64L, !grepl("\n", encoding))
  text <- enc2utf8(paste(code, collapse = "\n"))
  payload <- iconv(text, from = "UTF-8", to = encoding, toRaw = TRUE)[[1]]
  if (is.null(payload)) {
    stop(sprintf("rwarden: the code cannot be represented in %s", encoding), call. = FALSE)
  }
  request <- if (streaming) charToRaw("STREAM\n") else raw(0)
  if (!is.null(user)) {
    if (is.null(password)) password <- Sys.getenv("RWARDEN_PASSWORD", unset = NA)
    if (is.na(password)) {
      stop("rwarden: a password is needed (argument or RWARDEN_PASSWORD)", call. = FALSE)
    }
    if (!nzchar(user) || grepl(":", user, fixed = TRUE)) {
      stop("rwarden: user name must be non-empty and contain no ':'", call. = FALSE)
    }
    secret <- charToRaw(enc2utf8(paste0(user, ":", password)))
    request <- c(request, charToRaw(paste0("AUTH ", .rwarden_base64(secret), "\n")))
  }
  request <- c(request, charToRaw(paste0(encoding, "\n")),
               .rwarden_u64le(length(payload)), payload)

  con <- socketConnection(host = host, port = port, blocking = TRUE,
                          open = "r+b", timeout = timeout)
  on.exit(close(con))
  writeBin(request, con)
  flush(con)
  if (streaming) return(.rwarden_read_stream(con, encoding, max_answer, stream))
  m <- .rwarden_read_u64le(.rwarden_read_exactly(con, 8))
  if (m > max_answer) {
    stop(sprintf("rwarden: answer of %.0f bytes exceeds the limit of %.0f", m, max_answer),
         call. = FALSE)
  }
  body <- if (m > 0) .rwarden_read_exactly(con, m) else raw(0)
  # Bytes invalid in the encoding are shown as <xx> rather than failing.
  iconv(list(body), from = encoding, to = "UTF-8", sub = "byte")
}

# Read the frames of a streaming answer until the last one.
.rwarden_read_stream <- function(con, encoding, max_answer, callback) {
  total <- 0
  repeat {
    header <- .rwarden_read_exactly(con, 9)
    kind <- rawToChar(header[1])
    m <- .rwarden_read_u64le(header[2:9])
    if (!kind %in% c("o", "r")) stop("rwarden: unknown stream frame kind", call. = FALSE)
    total <- total + m
    if (total > max_answer) {
      stop(sprintf("rwarden: answer exceeds the limit of %.0f bytes", max_answer), call. = FALSE)
    }
    body <- if (m > 0) .rwarden_read_exactly(con, m) else raw(0)
    text <- iconv(list(body), from = encoding, to = "UTF-8", sub = "byte")
    if (kind == "r") return(text)
    callback(text)
  }
}
