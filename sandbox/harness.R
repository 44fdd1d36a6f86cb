# rwarden worker harness. Runs inside the sandboxed R process; base R only.
# R's standard input holds a one-line bootstrap that reads this text
# (length-prefixed) from fd 3 and parses it in one go.
#
# Channels (set up by rwarden before R starts):
#   fd 0      the bootstrap, then end of file (never read again: if control
#             ever returned to R's REPL it would see EOF and quit)
#   fd 1, 2   the console stream: everything user code prints, messages and
#             warnings, in order; rwarden streams it to the client
#   fd 3      requests from rwarden (read)
#   fd 4      results to rwarden (write)
#
# Request:  int32 type, int32 flags, int32 length, then `length` bytes.
#           Flags of an evaluation: 1 = send the last value (serialized),
#           2 = quiet (do not print visible values, as Rserve's eval),
#           4 = a CPU is free to poll for the next request (next_request).
# Response: int32 type, int32 length, then `length` bytes.
# All integers little-endian. Every request payload starts with a 16-byte
# nonce that the response echoes, so that bytes user code writes to fd 4 on
# its own cannot pass for a result.
local({
    # ---- 1. Replace the shell-out functions of base before anything else ----
    # utils' .onLoad calls Sys.which() -> system(), and process creation is
    # denied by seccomp; stubs make that a warning with status 127 instead of a
    # failure to load the default packages.
    stub_system <- function(command, intern = FALSE, ...) {
        warning("running external commands is disabled in the rwarden sandbox", call. = FALSE)
        if (isTRUE(intern)) character(0) else invisible(127L)
    }
    stub_system2 <- function(command, args = character(), stdout = "", stderr = "", ...) {
        warning("running external commands is disabled in the rwarden sandbox", call. = FALSE)
        if (isTRUE(stdout) || isTRUE(stderr)) character(0) else invisible(127L)
    }
    for (env in list(baseenv(), .BaseNamespaceEnv)) {
        for (nm in c("system", "system2")) {
            unlockBinding(nm, env)
            assign(nm, if (nm == "system") stub_system else stub_system2, envir = env)
            lockBinding(nm, env)
        }
    }
    # PCRE2's JIT needs memory that is writable and executable, which the
    # seccomp filter denies (W^X): without this every perl = TRUE regex
    # would warn before falling back to PCRE's interpreter.
    options(PCRE_use_JIT = FALSE)
    # ---- 2. Load the default packages, in R's usual search order ----
    for (p in c("methods", "datasets", "utils", "grDevices", "graphics", "stats"))
        suppressWarnings(suppressPackageStartupMessages(library(p, character.only = TRUE)))

    # ---- 3. methods::getFunction for allowlisted environments ----
    # getFunction searches the enclosures of `where` until it meets the base
    # environment; an allowlisted session's enclosures end at the empty
    # environment instead (base is deliberately not reachable), so
    # setGeneric() of a new generic would fail there. Same search, also
    # stopping at the empty environment.
    ns <- asNamespace("methods")
    get_function <- function(name, generic = TRUE, mustFind = TRUE, where = topenv(parent.frame())) {
        env <- as.environment(where)
        repeat {
            f <- get0(name, envir = env, mode = "function", inherits = FALSE)
            if (!is.null(f) && (generic || !methods::is(f, "genericFunction"))) return(f)
            if (identical(env, baseenv()) || identical(env, .BaseNamespaceEnv) || identical(env, emptyenv())) break
            env <- parent.env(env)
        }
        if (mustFind) stop(gettextf("no function %s found", sQuote(name)), domain = NA)
        NULL
    }
    environment(get_function) <- ns
    for (env in list(ns, as.environment("package:methods"))) {
        unlockBinding("getFunction", env)
        assign("getFunction", get_function, envir = env)
        lockBinding("getFunction", env)
    }
    invisible(NULL)
})

# Everything the harness uses lives in one environment, whose parent is the
# base namespace: nothing user code defines (in the global environment or
# elsewhere) can shadow what the harness calls. It is bound to no name
# anywhere, so user code cannot find it by name (not even in the global
# environment, which stays empty as in a fresh R session). local(), not a
# function call: R's JIT would byte-compile a function around all of this
# (a tenth of a second at every worker start) to run it once.
local({
.rwarden <- new.env(parent = .BaseNamespaceEnv)
local(envir = .rwarden, {
    self <- environment() # this harness environment
    T_EVAL <- 1L; T_BIND <- 2L; T_ASSIGN <- 3L; T_SETERR <- 4L
    R_READY <- 10L; R_RESULT <- 11L; R_BOUND <- 12L; R_DONE <- 13L
    ST_OK <- 0L; ST_ERROR <- 1L; ST_SYNTAX <- 2L; ST_ABORTED <- 3L
    NONCE_BYTES <- 16L

    show <- methods::show
    # Requests are read through two views of fd 3, both unbuffered fifo()
    # connections (each read is one read(2), so neither holds bytes the
    # other needs): `inp` blocks; `inp_poll` does not, and is what the
    # harness spins on between the requests of a busy session (see
    # next_request).
    inp <- fifo("/dev/fd/3", open = "rb", blocking = TRUE)
    inp_poll <- fifo("/dev/fd/3", open = "rb", blocking = FALSE)
    out <- fifo("/dev/fd/4", open = "wb", blocking = TRUE) # unbuffered: one write(2) per send
    # The environment user code runs in; replaced when a session is bound.
    user_env <- globalenv()
    runner <- NULL     # set by set_user_env()
    in_flight <- new.env(parent = emptyenv()) # is an evaluation running (for abort)?
    in_flight$active <- FALSE
    allowed <- NULL    # NULL = unrestricted; else a hashed env of allowed "pkg::name"
    loadable <- NULL   # packages the user may load (restricted sessions)
    internal <- NULL   # packages whose internals ::: may reach

    # Little-endian int32s, through the internal writeBin: the closure's
    # argument checks cost a fifth of a small evaluation's bookkeeping.
    SWAP <- .Platform$endian != "little"
    i32 <- function(x) .Internal(writeBin(as.integer(x), raw(), 4L, SWAP, FALSE))
    str_field <- function(s) {
        r <- charToRaw(enc2utf8(paste(as.character(s), collapse = "\n")))
        c(i32(length(r)), r)
    }
    str_list <- function(v) c(i32(length(v)), unlist(lapply(v, str_field), use.names = FALSE))

    send <- function(type, payload) {
        .Internal(writeBin(c(i32(c(type, length(payload))), payload), out, NA_integer_, FALSE, FALSE))
    }

    # The call of a condition signalled at the top level of user code is the
    # harness's own eval(); R's console shows no call there.
    user_call <- function(cond) {
        call <- conditionCall(cond)
        if (is.call(call) && (identical(call[[1L]], base::eval) || identical(call[[1L]], base::withVisible)))
            NULL
        else call
    }

    # In an allowlisted session, a name that exists in R but is not in the
    # user's allowlist is reported as such, not only as "not found".
    explain_missing <- function(msg) {
        if (is.null(allowed)) return(msg)
        m <- regmatches(msg, regexec("^(could not find function \"|object ')(.+)(\"|' not found|' of mode 'function' was not found)$", msg))[[1L]]
        if (length(m) != 4L) return(msg)
        nm <- m[[3L]]
        known <- exists(nm, envir = .BaseNamespaceEnv) ||
            any(vapply(search(), function(p) exists(nm, envir = as.environment(p), inherits = FALSE), NA))
        if (known) paste0(msg, " (not allowed for this user)") else msg
    }

    # Format a condition the way R's console prints an error.
    format_error <- function(e) {
        msg <- explain_missing(conditionMessage(e))
        call <- user_call(e)
        if (is.null(call)) return(paste0("Error: ", msg, "\n"))
        dcall <- paste(deparse(call, nlines = 1L), collapse = "\n")
        prefix <- paste0("Error in ", dcall, " : ")
        sep <- if (nchar(prefix, type = "w") + nchar(sub("\n.*", "", msg), type = "w") > 77L) "\n  " else ""
        paste0(prefix, sep, msg, "\n")
    }
    format_warnings <- function(ws) {
        if (!length(ws)) return("")
        one <- function(w) {
            call <- user_call(w)
            if (is.null(call)) conditionMessage(w)
            else paste0("In ", paste(deparse(call, nlines = 1L), collapse = ""), " : ", conditionMessage(w))
        }
        txt <- vapply(ws, one, "")
        if (length(txt) == 1L) paste0("Warning message:\n", txt, "\n")
        else paste0("Warning messages:\n", paste0(seq_along(txt), ": ", txt, collapse = "\n"), "\n")
    }

    # Undo what user code may have done to the console: sink() diversions are
    # removed after every evaluation so the next one starts clean.
    # (sink.number()'s own argument matching costs more than the rest of a
    # small evaluation's bookkeeping, hence the internal calls.)
    reset_console <- function() {
        while (.Internal(sink.number(TRUE)) > 0L) sink()
        if (.Internal(sink.number(FALSE)) != 2L) sink(type = "message")
    }

    autoprint <- function(value) {
        if (isS4(value)) show(value)
        else if (!is.object(value)) print.default(value)
        else {
            # Call print from the user's environment so that S3 methods the user
            # defined are found, as at R's console.
            pe <- new.env(parent = user_env)
            assign("x", value, envir = pe)
            eval(as.call(list(base::print, quote(x))), pe)
        }
        invisible(NULL)
    }

    # A runner whose frame sits between the harness and user code: functions
    # that look in the caller's caller (match.fun at top level, parent.frame(2))
    # find this frame, whose enclosure is the user's environment, and never
    # the harness. Rebuilt whenever the user's environment changes.
    # The internal eval is called directly: through the eval() closure, the
    # caller's caller of user code would be eval's own frame, enclosed by the
    # base namespace, where match.fun("system") would find base functions.
    # The runner finds the user's environment as its own enclosure (the
    # functions it calls are inlined objects, looked up nowhere). It is
    # byte-compiled once here: left to the JIT, compiling it against a large
    # allowlisted environment at a session's first evaluation costs tens of
    # milliseconds.
    runner_template <- function(expr) NULL
    body(runner_template) <- as.call(list(base::withVisible,
        as.call(list(base::.Internal, as.call(list(as.name("eval"), quote(expr),
            as.call(list(base::parent.env, as.call(list(base::environment)))), NULL))))))
    runner_template <- compiler::cmpfun(runner_template)
    make_runner <- function(env) {
        f <- runner_template
        environment(f) <- env
        f
    }

    # One request: parse, then evaluate top level by top level like R's
    # console (printing visible values unless quiet), stopping at the first
    # error. The condition handlers are set up once per request (not per
    # expression): they are the bulk of the harness's own cost for small
    # evaluations.
    eval_request <- function(code, want_value, quiet = FALSE) {
        exprs <- tryCatch(parse(text = code, keep.source = FALSE, encoding = "UTF-8"),
                          error = function(e) e)
        if (inherits(exprs, "error")) {
            msg <- sub("^<text>:", "", conditionMessage(exprs))
            set_errmsg(paste0("Error: ", msg, "\n"))
            return(list(status = ST_SYNTAX, error = paste0("Error: ", msg, "\n"),
                        messages = character(0), warnings = character(0), value = NULL))
        }
        messages <- character(0)
        warnings_all <- character(0)
        pending <- list()
        value <- NULL
        flush_warnings <- function() {
            if (length(pending)) {
                warnings_all <<- c(warnings_all, vapply(pending, conditionMessage, ""))
                cat(format_warnings(pending), file = stderr())
                pending <<- list()
            }
        }
        in_flight$active <- TRUE
        err <- tryCatch(
            withCallingHandlers({
                for (i in seq_along(exprs)) {
                    res <- runner(exprs[[i]])
                    value <- res$value
                    if (res$visible && !quiet) autoprint(value)
                    flush_warnings()
                }
                NULL
            },
            warning = function(w) {
                pending[[length(pending) + 1L]] <<- w
                invokeRestart("muffleWarning")
            },
            message = function(m) messages <<- c(messages, conditionMessage(m))),
            error = function(e) e)
        in_flight$active <- FALSE
        status <- ST_OK
        errtext <- ""
        if (!is.null(err)) {
            status <- ST_ERROR
            errtext <- format_error(err)
            set_errmsg(errtext)
            if (length(pending)) {
                warnings_all <- c(warnings_all, vapply(pending, conditionMessage, ""))
                errtext <- paste0(errtext, "In addition: ", format_warnings(pending))
            }
        }
        ser <- NULL
        if (want_value && status == ST_OK)
            ser <- tryCatch(serialize(value, NULL, version = 2L), error = function(e) NULL)
        list(status = status, error = errtext, messages = messages, warnings = warnings_all,
             value = ser)
    }

    # geterrmessage() in the session returns the last error, as at R's
    # console and in Rserve (whose clients read it after a failed eval).
    set_errmsg <- function(msg) .Internal(seterrmessage(msg))

    # Assign a value rwarden decoded, checked to be plain data and
    # serialized itself; checked again here so that nothing but data lands in
    # the user's environment.
    is_plain_data <- function(x) {
        if (is.function(x) || is.environment(x) || is.language(x) || is.symbol(x) ||
            typeof(x) %in% c("externalptr", "weakref", "bytecode", "promise", "S4", "char", "..."))
            return(FALSE)
        a <- attributes(x)
        if (!is.null(a) && !all(vapply(a, is_plain_data, NA))) return(FALSE)
        if (is.list(x) || is.pairlist(x)) return(all(vapply(x, is_plain_data, NA)))
        TRUE
    }
    assign_request <- function(payload) {
        n <- readBin(payload, "integer", 1L, size = 4L, endian = "little")
        if (length(n) != 1L || n < 1L || n + 4L > length(payload)) stop("malformed assignment")
        name <- rawToChar(payload[5L:(4L + n)])
        Encoding(name) <- "UTF-8"
        value <- unserialize(payload[-seq_len(4L + n)])
        if (!is_plain_data(value)) stop("only data values can be assigned")
        assign(name, value, envir = user_env)
        ""
    }

    ZERO4 <- i32(0L)
    NO_VALUE <- i32(-1L)
    STATUS_RAW <- lapply(0:3, i32)
    encode_result <- function(nonce, r) {
        value <- if (is.null(r$value)) NO_VALUE else c(i32(length(r$value)), r$value)
        if (!length(r$messages) && !length(r$warnings) && !nzchar(r$error))
            return(c(nonce, STATUS_RAW[[r$status + 1L]], ZERO4, ZERO4, ZERO4, value))
        c(nonce, STATUS_RAW[[r$status + 1L]], str_list(r$messages), str_list(r$warnings),
          str_field(r$error), value)
    }

    # ---- Session binding: the runtime allowlist ----
    # Request text: lines "mode\tallowlist|unrestricted", "F\tpkg::name"
    # (allowed objects, in search order: the first entry for a name wins),
    # "P\tpkg" (loadable packages), "I\tpkg" (packages whose internals
    # `:::` may reach). An allowlisted session evaluates in an environment
    # whose only ancestors hold the allowed objects (taken from their
    # namespaces) and the checked `::`, `:::`, library() and require(); its
    # last ancestor is the empty environment, so nothing else is reachable
    # by name. Vectorised: a restricted user's list has thousands of entries
    # and binding is on the session start path.
    bind <- function(text) {
        lines <- strsplit(text, "\n", fixed = TRUE)[[1L]]
        tab <- regexpr("\t", lines, fixed = TRUE)
        kind <- substr(lines, 1L, tab - 1L)
        val <- substring(lines, tab + 1L)
        mode <- val[kind == "mode"]
        if (!length(mode) || mode[[1L]] == "unrestricted") {
            set_user_env(globalenv())
            allowed <<- NULL
            return("")
        }
        fns <- val[kind == "F"]
        loadable <<- val[kind == "P"]
        internal <<- val[kind == "I"]
        allowed <<- list2env(structure(as.list(rep_len(TRUE, length(fns))), names = fns),
                             envir = new.env(hash = TRUE, parent = emptyenv(), size = length(fns) + 29L))
        sep <- regexpr("::", fns, fixed = TRUE)
        pkg <- substr(fns, 1L, sep - 1L)
        nm <- substring(fns, sep + 2L)
        first <- sep > 0L & !duplicated(nm)
        pkg <- pkg[first]
        nm <- nm[first]
        allow_env <- new.env(hash = TRUE, parent = emptyenv(), size = length(nm) + 29L)
        for (p in unique(pkg)) {
            sel <- nm[pkg == p]
            if (p != "base" && !isNamespaceLoaded(p)) next # not loaded yet: library() adds it
            # Objects come from the package's own lazy-load database as
            # promises, loaded only if used: binding stays cheap (no
            # unserializing of hundreds of functions per session) and the
            # closures keep their namespaces as environments.
            db <- if (p == "datasets") file.path(find.package(p), "data", "Rdata")
                  else file.path(find.package(p), "R", p)
            if (file.exists(paste0(db, ".rdx")))
                lazyLoad(db, envir = allow_env, filter = function(n) n %in% sel)
            if (p == "datasets") next
            # What the database does not hold (primitives, objects created
            # when the namespace loaded) is taken from the namespace.
            rest <- sel[!(sel %in% names(allow_env))]
            if (!length(rest)) next
            if (p == "base") {
                objs <- mget(rest, envir = baseenv(), mode = "any", ifnotfound = list(NULL), inherits = FALSE)
            } else { # exports, including re-exports from the package's imports
                objs <- lapply(rest, function(n) tryCatch(getExportedValue(p, n), error = function(e) NULL))
                names(objs) <- rest
            }
            list2env(objs[!vapply(objs, is.null, NA)], envir = allow_env)
        }
        wrap_function_args(allow_env)
        if (is.function(get0("ls", envir = allow_env, inherits = FALSE))) {
            # ls(name) turns a failed `name` into a search-list name ("no item
            # called ..."), hiding why it failed; report the real error.
            base_ls <- get("ls", envir = allow_env)
            ls_checked <- function(name, pos = -1L, envir = as.environment(pos), all.names = FALSE,
                                   pattern, sorted = TRUE) {
                if (!missing(name)) {
                    value <- tryCatch(name, error = function(e) e)
                    if (inherits(value, "error")) stop(value)
                }
                call <- match.call()
                call[[1L]] <- base_ls
                if (!missing(name)) call$name <- value
                eval(call, parent.frame())
            }
            environment(ls_checked) <- list2env(list(base_ls = base_ls), parent = self)
            assign("ls", ls_checked, envir = allow_env)
        }
        assign("::", checked_get(FALSE), envir = allow_env)
        assign(":::", checked_get(TRUE), envir = allow_env)
        assign("library", checked_library(TRUE), envir = allow_env)
        # require() of a package the user may not load fails loudly, like
        # library(), instead of quietly returning FALSE.
        assign("require", checked_library(TRUE), envir = allow_env)
        assign("requireNamespace", checked_library(TRUE), envir = allow_env)
        lockEnvironment(allow_env, bindings = TRUE)
        env <- new.env(parent = allow_env)
        # A top-level environment of its own (topenv() stops at an
        # environment holding .packageName): S4 classes, generics and methods
        # defined by the user are stored here, as in the global environment
        # at R's console, not in the real global environment out of reach.
        assign(".packageName", ".GlobalEnv", envir = env)
        set_user_env(env)
        ""
    }

    set_user_env <- function(env) {
        user_env <<- env
        runner <<- make_runner(env)
    }

    # Functions that take a function and accept its *name* instead. Base R
    # resolves such a name from frames of its own (closures it defines,
    # enclosed by the base namespace), where every base function is
    # reachable: Vectorize("system") would find system. In an allowlisted
    # session these are wrapped so that a name is resolved in the caller's
    # environment, where only allowed functions exist, before base sees it.
    FUNCTION_ARGS <- c(lapply = "FUN", sapply = "FUN", vapply = "FUN", mapply = "FUN",
        Map = "f", Filter = "f", Reduce = "f", Position = "f", Find = "f", Negate = "f",
        outer = "FUN", Vectorize = "FUN", apply = "FUN", tapply = "FUN", sweep = "FUN",
        aggregate = "FUN", by = "FUN", ave = "FUN", do.call = "what", match.fun = "FUN",
        rapply = "f", eapply = "FUN", kronecker = "FUN", outer = "FUN")
    resolve_function_name <- function(name, env) {
        f <- get0(name, envir = env, mode = "function")
        if (is.null(f)) stop(sprintf("could not find function \"%s\" (not allowed for this user)", name), call. = FALSE)
        f
    }
    wrap_function_args <- function(allow_env) {
        for (nm in names(FUNCTION_ARGS)) {
            orig <- get0(nm, envir = allow_env, inherits = FALSE)
            if (!is.function(orig) || is.primitive(orig)) next
            w <- function(...) NULL
            formals(w) <- formals(orig)
            body(w) <- substitute({
                call <- match.call(ORIG, sys.call(), expand.dots = TRUE)
                caller <- parent.frame()
                if (!is.null(call[[ARG]])) {
                    value <- eval(call[[ARG]], caller)
                    if (is.character(value) && length(value) == 1L)
                        value <- RESOLVE(value, caller)
                    call[[ARG]] <- value
                }
                e <- new.env(parent = caller)
                assign(NAME, ORIG, envir = e)
                call[[1L]] <- as.name(NAME)
                eval(call, e)
            }, list(ORIG = orig, ARG = FUNCTION_ARGS[[nm]], NAME = nm, RESOLVE = resolve_function_name))
            environment(w) <- self
            assign(nm, w, envir = allow_env)
        }
    }

    deny <- function(what) stop(sprintf("not allowed: %s", what), call. = FALSE)
    is_allowed <- function(key) !is.null(allowed) && exists(key, envir = allowed, inherits = FALSE)

    checked_get <- function(internal) {
        op <- if (internal) ":::" else "::"
        f <- function(pkg, name) NULL
        body(f) <- substitute({
            pkg <- as.character(substitute(pkg))
            name <- as.character(substitute(name))
            CHECK(pkg, name, OP)
        }, list(CHECK = namespace_lookup, OP = op))
        environment(f) <- self
        f
    }
    namespace_lookup <- function(pkg, name, op) {
        key <- paste0(pkg, op, name)
        if (!is_allowed(paste0(pkg, "::", name)) || (op == ":::" && !(pkg %in% internal)))
            deny(key)
        if (!(pkg %in% loadable) && !isNamespaceLoaded(pkg)) deny(paste0("loading package ", pkg))
        ns <- loadNamespace(pkg)
        if (op == "::") getExportedValue(pkg, name) else get(name, envir = ns, inherits = FALSE)
    }

    checked_library <- function(attach_err) {
        f <- function(package, ...) NULL
        body(f) <- substitute({
            pkg <- if (is.character(substitute(package))) package else as.character(substitute(package))
            LOAD(pkg, ATTACH)
        }, list(LOAD = load_package, ATTACH = attach_err))
        environment(f) <- self
        f
    }
    # library(pkg) in an allowlisted session: load the namespace and add the
    # package's allowed functions in a new environment layer above the user's
    # environment's current parent.
    load_package <- function(pkg, fail) {
        if (length(pkg) != 1L || is.na(pkg) || !(pkg %in% loadable)) {
            if (fail) deny(paste0("loading package ", pkg))
            return(invisible(FALSE))
        }
        ns <- loadNamespace(pkg)
        layer <- new.env(hash = TRUE, parent = parent.env(user_env))
        prefix <- paste0(pkg, "::")
        for (key in ls(allowed, all.names = TRUE)) {
            if (startsWith(key, prefix)) {
                nm <- substring(key, nchar(prefix) + 1L)
                obj <- get0(nm, envir = ns, inherits = FALSE)
                if (!is.null(obj)) assign(nm, obj, envir = layer)
            }
        }
        lockEnvironment(layer, bindings = TRUE)
        parent.env(user_env) <- layer
        invisible(TRUE)
    }

    serve_loop <- function() {
        repeat {
            req <- next_request()
            if (is.null(req)) return(FALSE) # rwarden closed the channel: end of session
            current_nonce <<- req$nonce
            if (req$type == T_ASSIGN) {
                err <- tryCatch(assign_request(req$body), error = function(e) conditionMessage(e))
                send(R_DONE, c(current_nonce, str_field(err)))
                answered()
                next
            }
            # R strings cannot hold a nul: the text ends at the first one, as
            # a C string would (rwarden's policy check refuses code with a
            # nul before it gets here).
            raw_body <- req$body
            nul <- match(as.raw(0L), raw_body, nomatch = 0L)
            if (nul > 0L) raw_body <- raw_body[seq_len(nul - 1L)]
            body <- rawToChar(raw_body)
            Encoding(body) <- "UTF-8"
            if (req$type == T_SETERR) {
                set_errmsg(body)
                send(R_DONE, c(current_nonce, str_field("")))
            } else if (req$type == T_EVAL) {
                may_poll <<- bitwAnd(req$flags, 4L) != 0L
                r <- eval_request(body, bitwAnd(req$flags, 1L) != 0L, bitwAnd(req$flags, 2L) != 0L)
                reset_console()
                send(R_RESULT, encode_result(current_nonce, r))
            } else if (req$type == T_BIND) {
                err <- tryCatch(bind(body), error = function(e) conditionMessage(e))
                send(R_BOUND, c(current_nonce, str_field(err)))
            } else return(FALSE)
            answered()
        }
    }
    current_nonce <- raw(0)

    # Reading requests. A session whose client sends its next request
    # right after each answer (a script, RSclient in a loop) would put this
    # process to sleep and wake it again for every request, and on a
    # virtual machine waking an idle CPU costs more than evaluating `1+1`.
    # So when the last request came within SPIN_SECONDS of the answer
    # before it, and rwarden said a CPU is free for it (flag 4 of the last
    # evaluation: few sessions are this busy), the harness polls for the
    # next one for that long before it blocks. A session that pauses stops
    # spinning after its first pause, and an idle worker (waiting in the
    # pool, or between the requests of an interactive user) never spins:
    # the cost is at most SPIN_SECONDS of CPU per request, paid only while
    # it saves a wake-up.
    SPIN_SECONDS <- 250e-6
    now <- function() .Internal(Sys.time())
    answered_at <- -Inf
    busy <- FALSE
    may_poll <- FALSE
    answered <- function() answered_at <<- now()
    # A read of the non-blocking view with nothing there is an R error
    # (EAGAIN); that is the "nothing yet" answer (see next_request for what
    # else it touches).
    nothing <- function(e) raw(0)
    poll_input <- function() tryCatch(readBin(inp_poll, "raw", 4096L), error = nothing)

    # Bytes read from fd 3 and not used yet. rwarden sends one request and
    # waits for its answer, so this holds at most the rest of one request;
    # it is kept all the same, so that no read can swallow part of the next.
    pending <- raw(0)
    # fill(n) reads until `pending` holds n bytes; FALSE at end of file. A
    # read of the pipe returns what is there (a large request arrives in
    # pipe-sized pieces, collected in a list and joined once).
    fill <- function(n) {
        have <- length(pending)
        if (have >= n) return(TRUE)
        parts <- list(pending)
        repeat {
            more <- readBin(inp, "raw", min(max(n - have, 4096L), 65536L))
            if (!length(more)) return(FALSE)
            parts[[length(parts) + 1L]] <- more
            have <- have + length(more)
            if (have >= n) break
        }
        pending <<- unlist(parts, use.names = FALSE)
        TRUE
    }
    take <- function(n) {
        out <- pending[seq_len(n)]
        pending <<- pending[-seq_len(n)]
        out
    }
    # The next request as list(type, flags, nonce, body), or NULL when
    # rwarden closed the channel or sent a malformed frame.
    next_request <- function() {
        if (!length(pending) && busy && may_poll) {
            # Each empty poll is an R error, and R keeps the message of the
            # last error for geterrmessage() even when it was caught: the
            # session's own last error must survive the spinning.
            errmsg <- .Internal(geterrmessage())
            until <- answered_at + SPIN_SECONDS
            repeat {
                pending <<- poll_input()
                if (length(pending) || now() > until) break
            }
            .Internal(seterrmessage(errmsg))
        }
        ok <- fill(12L)
        busy <<- now() - answered_at <= SPIN_SECONDS
        if (!ok) return(NULL)
        h <- .Internal(readBin(take(12L), "integer", 3L, 4L, TRUE, SWAP))
        n <- h[[3L]]
        if (is.na(n) || n < NONCE_BYTES || !fill(n)) return(NULL)
        payload <- take(n)
        list(type = h[[1L]], flags = h[[2L]], nonce = payload[seq_len(NONCE_BYTES)],
             body = payload[-seq_len(NONCE_BYTES)])
    }

    # Are the harness's connections to rwarden still open?
    channels_ok <- function()
        isTRUE(tryCatch(isOpen(inp) && isOpen(inp_poll) && isOpen(out), error = function(e) FALSE))

    # User code that jumps to the top level (invokeRestart("abort")) lands in
    # this restart, never in R's REPL: the evaluation is answered as aborted
    # and the loop goes on.
    # prepare() is the start-up work before the first request; a fork
    # template (template.R) does it once for all the sessions it forks.
    prepared <- FALSE
    prepare <- function() {
        set_user_env(globalenv())
        # Byte-compile the request path now: R's JIT would compile it at its
        # second call, i.e. during a session's first request (some 40 ms on
        # the client's clock). Then run it once, for other first-use costs.
        for (nm in c("eval_request", "encode_result", "send", "autoprint", "reset_console",
                     "next_request", "poll_input", "fill", "take", "answered",
                     "i32", "str_field", "str_list", "format_error", "user_call"))
            assign(nm, compiler::cmpfun(get(nm, envir = self)), envir = self)
        invisible(encode_result(raw(NONCE_BYTES), eval_request("invisible(NULL)", FALSE)))
        reset_console()
        prepared <<- TRUE
    }
    serve <- function() {
        if (!prepared) prepare()
        send(R_READY, charToRaw(paste(R.version.string, Sys.getpid(), sep = "\n")))
        repeat {
            done <- withRestarts(serve_loop(), abort = function() TRUE)
            if (!isTRUE(done)) break
            # Code that closed every connection (closeAllConnections())
            # closed the harness's views of fds 3 and 4 too, and the failed
            # answer landed here: nothing can be answered any more, so the
            # worker ends at once (rwarden reports it gone) rather than
            # failing into this restart until the wall-clock limit.
            if (!channels_ok()) .Internal(quit("no", 3L, FALSE))
            if (in_flight$active) {
                in_flight$active <- FALSE
                reset_console()
                send(R_RESULT, encode_result(current_nonce, list(status = ST_ABORTED,
                    error = "Error: evaluation aborted\n", messages = character(0),
                    warnings = character(0), value = NULL)))
            }
        }
    }
})
.rwarden$serve()
})
quit(save = "no", status = 0L, runLast = FALSE)
