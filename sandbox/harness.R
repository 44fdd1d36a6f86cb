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
#           4 = a CPU is free to poll for the next request (next_request),
#           8 = capture plots, 16 = send each message and warning as it is
#           signalled (response 15: nonce, kind byte, int32 length, text).
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
# ---- The runtime guards (layer 4) ----
# Everything user-visible that the harness makes (wrappers of allowed
# functions, the checked `::`, library(), accessors) is enclosed by this
# environment or a child of it, never by the harness environment: the
# harness's channels and nonce are reachable from no value user code can
# hold. Its state (`st`) is locked once the session is bound.
guard <- new.env(parent = .BaseNamespaceEnv)
local(envir = guard, {
    guard <- environment()
    st <- new.env(parent = emptyenv())
    st$user <- NULL      # the user's environment (NULL: unrestricted session)
    st$allowed <- NULL   # hashed env of allowed "pkg::name"
    st$specs <- NULL     # "pkg::name" -> list(param = kinds)
    st$loadable <- character(0)
    st$internal <- character(0)
    cache <- new.env(hash = TRUE, parent = emptyenv())   # "pkg::name" -> wrapper
    pending <- new.env(parent = emptyenv())              # a call being re-invoked

    deny <- function(what) stop(sprintf("not allowed: %s", what), call. = FALSE)
    is_allowed <- function(key) !is.null(st$allowed) && exists(key, envir = st$allowed, inherits = FALSE)
    is_guarded <- function(key) !is.null(st$specs) && exists(key, envir = st$specs, inherits = FALSE)

    # An environment is the user's own when its chain of enclosures reaches
    # the user's environment: the user's environment itself, frames of user
    # closures, environments user code made (new.env() in user code).
    # (identical() through .Internal: this is on the path of `$` and `[[`
    # on environments.)
    owned <- function(e) {
        u <- st$user
        if (is.null(u)) return(TRUE)
        empty <- emptyenv()
        repeat {
            if (.Internal(identical(e, u, TRUE, TRUE, TRUE, TRUE, FALSE, TRUE, FALSE))) return(TRUE)
            if (.Internal(identical(e, empty, TRUE, TRUE, TRUE, TRUE, FALSE, TRUE, FALSE))) return(FALSE)
            e <- .Internal(parent.env(e))
        }
    }
    # Where names given as strings are resolved: the caller when it is the
    # user's own (a local function of a user closure), else the user's
    # environment (an allowed function calling a wrapper it was handed).
    home <- function(caller) if (is.environment(caller) && owned(caller)) caller else st$user

    # A function value may be handed to user code or passed on as a
    # function when it is the user's own, a wrapper made here, an allowed
    # function that has no guards, or a local closure of allowed code
    # (calling that is no different from calling the code that made it). A
    # package's own function (enclosed by a namespace, a package or the
    # global environment) that is not allowed, or an unwrapped allowed
    # function that has guards, is refused.
    fun_ok <- function(f) {
        if (is.primitive(f)) {
            nm <- sub("^\\.Primitive\\(\"(.*)\"\\)$", "\\1", deparse(f)[[1L]])
            key <- paste0("base::", nm)
            return(is_allowed(key) && !is_guarded(key))
        }
        e <- environment(f)
        if (is.null(e) || identical(e, emptyenv()) || owned(e)) return(TRUE)
        if (identical(.Internal(parent.env(e)), guard) || identical(e, guard)) return(TRUE) # made here
        pkg <- environmentName(e)
        if (!nzchar(pkg)) return(TRUE) # a local closure of allowed code
        if (pkg == "R_GlobalEnv") return(FALSE)
        if (startsWith(pkg, "package:")) pkg <- substring(pkg, 9L)
        if (!isNamespaceLoaded(pkg)) return(FALSE)
        ns <- asNamespace(pkg)
        prefix <- paste0(pkg, "::")
        for (key in ls(st$allowed, all.names = TRUE)) {
            if (!startsWith(key, prefix)) next
            nm <- substring(key, nchar(prefix) + 1L)
            if (identical(get0(nm, envir = ns, inherits = FALSE), f)) return(!is_guarded(key))
        }
        FALSE
    }
    # Values that allowed accessors (attr, attributes, slot, `@`,
    # getOption, `$`) hand back: no function or environment that leads
    # outside the user's own.
    check_out <- function(v, what) {
        if (is.function(v)) {
            if (!fun_ok(v)) deny(sprintf("%s: a function the user may not call", what))
        } else if (is.environment(v)) {
            if (!owned(v)) deny(sprintf("%s: an environment outside the user's own", what))
        } else if (is.list(v) && !is.object(v)) {
            for (i in seq_along(v)) check_out(.subset2(v, i), what)
        }
        v
    }

    # fun: a function, or its name as a string or symbol, resolved only
    # where the user's own code would resolve it.
    # lists: a plain list is taken as functions or their names (a named
    # parameter such as addmargins' FUN); not for `...`, whose lists are
    # data (aggregate's by = list(g)).
    check_fun <- function(v, caller, what, lists = TRUE) {
        if ((is.character(v) && length(v) == 1L && !is.na(v)) || is.symbol(v)) {
            nm <- as.character(v)
            f <- get0(nm, envir = home(caller), mode = "function")
            if (is.null(f)) deny(sprintf("%s: no function \"%s\" for this user", what, nm))
            return(f)
        }
        if (is.function(v)) {
            if (!fun_ok(v)) deny(sprintf("%s: a function the user may not call", what))
            return(v)
        }
        if (is.list(v) && !is.object(v) && !is.null(v$handler)) { # a restart specification
            v$handler <- check_fun(v$handler, caller, what)
            return(v)
        }
        if (lists && is.list(v) && !is.object(v)) {
            # A list of functions or their names (addmargins' FUN, by
            # margin and nested): each one is checked and resolved for the
            # user, never looked up by name in the package's own frame.
            # A name replaced by its function keeps the name as the
            # element's label, as the package would have shown it.
            for (i in seq_along(v)) if (!is.null(v[[i]])) {
                el <- v[[i]]
                v[i] <- list(check_fun(el, caller, what))
                nms <- if (is.null(names(v))) character(length(v)) else names(v)
                if (is.function(v[[i]]) && !is.function(el) && (is.na(nms[[i]]) || !nzchar(nms[[i]]))) {
                    nms[[i]] <- as.character(el)
                    names(v) <- nms
                }
            }
            return(v)
        }
        if (is.character(v)) deny(sprintf("%s: function names must be one string", what))
        v
    }

    # newname: the name of a function to create or to make generic (S4). An
    # existing function that the user cannot reach must not be found by
    # that name (setGeneric() would make it the default method).
    check_newname <- function(v, caller, what) {
        if (!is.character(v) || length(v) != 1L || is.na(v)) return(invisible(NULL))
        if (exists(v, envir = home(caller))) return(invisible(NULL))
        if (known(v)) deny(sprintf("%s: %s", what, v))
        invisible(NULL)
    }

    # Is `nm` the name of something R has (in base or a loaded namespace)?
    known <- function(nm) {
        if (exists(nm, envir = .BaseNamespaceEnv, inherits = FALSE)) return(TRUE)
        for (p in loadedNamespaces())
            if (exists(nm, envir = asNamespace(p), inherits = FALSE)) return(TRUE)
        FALSE
    }
    # code: every name in the code must be one the user can reach, or a name
    # R does not have at all (a data column, a local variable).
    check_names <- function(x, env, what, heads_only = FALSE) {
        if (is.character(x)) {
            x <- tryCatch(parse(text = x, keep.source = FALSE), error = function(e) NULL)
            if (is.null(x)) return(invisible(NULL))
        }
        if (!(is.language(x) || is.expression(x) || is.list(x) || is.pairlist(x))) return(invisible(NULL))
        nms <- if (is.list(x) || is.pairlist(x)) unique(unlist(lapply(x, function(el)
                   if (is.language(el) || is.expression(el)) all.names(el) else character(0))))
               else all.names(x)
        if (heads_only) nms <- setdiff(nms, all.names(x, functions = FALSE))
        for (nm in unique(nms)) {
            if (!nzchar(nm) || exists(nm, envir = env)) next
            if (known(nm)) deny(sprintf("%s: %s", what, nm))
        }
        invisible(NULL)
    }
    check_code <- function(expr, caller, what) {
        env <- home(caller)
        check_names(expr, env, what)
        # A symbol may name code held in a variable (e <- quote(...)).
        if (is.symbol(expr) && nzchar(as.character(expr))) {
            v <- tryCatch(get0(as.character(expr), envir = env), error = function(e) NULL)
            if (is.language(v) || is.expression(v) || is.character(v)) check_names(v, env, what)
        }
        invisible(NULL)
    }

    # formula: a string becomes a formula of the user's environment; a
    # formula whose environment is not the user's own is re-homed there.
    # Names called in it must be reachable by the user.
    check_formula <- function(v, caller, what) {
        env <- home(caller)
        if (is.character(v) && length(v) == 1L && !is.na(v)) {
            ex <- tryCatch(str2lang(v), error = function(e) NULL)
            if (is.null(ex)) return(v)
            # Strings that are not formulas are data to this argument (the
            # x of aggregate() or t.test()); R turns only `~` calls into
            # formulas.
            if (!(is.call(ex) && identical(ex[[1L]], as.name("~")))) return(v)
            check_names(ex, env, what, heads_only = TRUE)
            return(structure(ex, class = "formula", .Environment = env))
        }
        if (inherits(v, "formula") || (is.call(v) && identical(v[[1L]], as.name("~")))) {
            check_names(v, env, what, heads_only = TRUE)
            e <- attr(v, ".Environment")
            if (!is.environment(e) || !owned(e)) attr(v, ".Environment") <- env
        }
        v
    }

    # env: only the user's own environments, or data (a list or data frame,
    # which R turns into an environment enclosed by the caller). Numbers
    # (frames) and names (the search path) are refused.
    check_env <- function(v, what) {
        if (is.null(v) || (is.list(v) && !is.environment(v)) || is.pairlist(v) || isTRUE(v)) return(v)
        if (is.environment(v)) {
            if (owned(v)) return(v)
            deny(sprintf("%s: an environment outside the user's own", what))
        }
        deny(sprintf("%s: an environment given by number or name", what))
    }

    # unserialize: values read from bytes carry no function, environment or
    # pointer (a crafted stream can hold closures enclosed by base, or
    # calls with a primitive inlined). A formula's environment is re-homed.
    scrub <- function(x, env, what) {
        if (is.function(x) || typeof(x) %in% c("externalptr", "weakref", "bytecode", "promise", "...", "char"))
            deny(sprintf("%s: data holding functions or pointers", what))
        if (is.environment(x)) deny(sprintf("%s: data holding environments", what))
        a <- attributes(x)
        if (!is.null(a)) {
            for (n in names(a)) {
                if (n == ".Environment" && is.environment(a[[n]])) attr(x, n) <- env
                else attr(x, n) <- scrub(a[[n]], env, what)
            }
        }
        if (is.list(x) || is.expression(x)) {
            for (i in seq_along(x)) { el <- scrub(.subset2(x, i), env, what); if (!is.null(el)) x[[i]] <- el }
        } else if (is.call(x) || is.pairlist(x)) {
            for (el in as.list(x)) if (!missing(el)) scrub(el, env, what)
        }
        x
    }

    # The prologue of a wrapped closure: check the guarded arguments in its
    # frame; when a value must change (a name resolved to a function, a
    # string turned into a formula, an environment re-homed), the call is
    # rebuilt with the checked values and re-invoked from the caller, so
    # that the function (and anything it re-evaluates from match.call())
    # sees only checked values. TRUE means: evaluate take() instead.
    # check_dot checks the i-th argument in the frame's ... (its
    # expression expr) for kinds; it returns list(checked value) when a
    # check changed the value, else NULL.
    check_dot <- function(i, expr, kinds, frame, caller, what) {
        out <- NULL
        for (k in kinds) {
            if (k == "code") { check_code(expr, caller, what); next }
            v <- eval(as.name(sprintf("..%d", i)), frame)
            nv <- switch(k, fun = check_fun(v, caller, what, lists = FALSE),
                         formula = check_formula(v, caller, what),
                         env = check_env(v, what), v)
            if (!identical(nv, v)) out <- list(nv)
        }
        out
    }
    check_frame <- function(frame, key) {
        spec <- st$specs[[key]]
        if (is.null(spec) || is.null(st$user)) return(FALSE)
        caller <- parent.frame(2L)
        fn <- sys.function(-1L)
        fmls <- names(formals(fn))
        changed <- list()
        dots_changed <- list()
        for (p in names(spec)) {
            what <- paste0(key, "(", p, ")")
            kinds <- spec[[p]]
            if (p == "...") {
                if (!("..." %in% fmls)) next
                exprs <- eval(quote(as.list(substitute(list(...)))[-1L]), frame)
                for (i in seq_along(exprs)) {
                    r <- check_dot(i, exprs[[i]], kinds, frame, caller, what)
                    if (!is.null(r)) dots_changed[[as.character(i)]] <- r[[1L]]
                }
                next
            }
            if (!(p %in% fmls)) {
                # A named argument that lands in `...` (a generic's FUN).
                if (!("..." %in% fmls)) next
                exprs <- eval(quote(as.list(substitute(list(...)))[-1L]), frame)
                i <- match(p, names(exprs))
                if (is.na(i)) next
                r <- check_dot(i, exprs[[i]], kinds, frame, caller, what)
                if (!is.null(r)) dots_changed[[as.character(i)]] <- r[[1L]]
                next
            }
            is_missing <- eval(call("missing", as.name(p)), frame)
            for (k in kinds) {
                if (k == "unserialize") next
                if (k == "newname") {
                    if (!is_missing) check_newname(get(p, envir = frame), caller, what)
                    next
                }
                if (k == "code") {
                    if (!is_missing) check_code(eval(call("substitute", as.name(p)), frame), caller, what)
                    next
                }
                if (is_missing) {
                    # A missing environment argument whose default names
                    # the global or base environment (data(envir =
                    # .GlobalEnv)) is given the caller's instead. Other
                    # defaults (parent.frame(), as.environment(pos)) are
                    # the caller's already; they are not evaluated here,
                    # where frame-relative defaults would mean another frame.
                    if (k == "env" && foreign_default(formals(fn)[[p]])) changed[[p]] <- home(caller)
                    next
                }
                v <- get(p, envir = frame)
                nv <- switch(k, fun = check_fun(v, caller, what),
                             formula = check_formula(v, caller, what),
                             env = check_env(v, what), v)
                if (!identical(nv, v)) changed[[p]] <- nv
            }
        }
        if (!length(changed) && !length(dots_changed)) return(FALSE)
        cl <- sys.call(-1L)
        mc <- match.call(fn, cl, expand.dots = TRUE, envir = caller)
        for (p in names(changed)) mc[p] <- list(changed[[p]])
        if (length(dots_changed)) {
            pos <- which(!(names(mc)[-1L] %in% setdiff(fmls, "...")) | names(mc)[-1L] == "") + 1L
            for (i in names(dots_changed)) mc[pos[[as.integer(i)]]] <- list(dots_changed[[i]])
        }
        head <- cl[[1L]]
        same <- (is.symbol(head) || (is.call(head) && as.character(head[[1L]]) %in% c("::", ":::"))) &&
            identical(tryCatch(eval(head, caller), error = function(e) NULL), fn)
        if (!same) mc[[1L]] <- fn
        assign("call", mc, envir = pending)
        TRUE
    }
    foreign_default <- function(d) {
        if (is.symbol(d)) return(as.character(d) %in% c(".GlobalEnv", ".BaseNamespaceEnv"))
        is.call(d) && length(d) == 1L && is.symbol(d[[1L]]) &&
            as.character(d[[1L]]) %in% c("globalenv", "baseenv", "emptyenv")
    }
    take <- function() {
        mc <- get("call", envir = pending)
        rm("call", envir = pending)
        mc
    }

    # ---- Wrappers ----
    # Closures are wrapped by a copy with a prologue (check_frame): same
    # formals, same enclosure, same frame, so sys.call(), match.call(),
    # parent.frame() and lazy arguments behave as in the original. S4
    # generics, functions whose result must be checked (unserialize, or a
    # closure R encloses by the global environment) and primitives get a
    # closure that calls the original through a symbol of its own private
    # environment (never inlined: body() must not hand the original out).
    POST_KEYS <- c("base::args", "stats::deriv", "stats::deriv3", "stats::deriv.default",
                   "stats::deriv.formula", "stats::deriv3.default", "stats::deriv3.formula")
    # methods::as: as(1, "environment") is the global environment and
    # as("package:base", "environment") base itself (as.environment,
    # which the policy denies, called for the user), whose functions
    # as.list() then hands out in a list a for loop takes apart unchecked.
    OUT_KEYS <- c("base::attr", "base::attributes", "methods::slot", "base::getOption", "methods::as")

    prologue <- function(key) {
        call("if", as.call(list(check_frame, quote(environment()), key)),
             call("return", as.call(list(quote(eval), as.call(list(take)), quote(parent.frame())))))
    }
    private_env <- function(key, orig) {
        e <- new.env(parent = guard)
        e$ORIG <- orig
        # The original is also bound under its own name, which is how the
        # call to it reads in error messages.
        assign(sub("^.*::", "", key), orig, envir = e)
        e$KEY <- key
        lockEnvironment(e, bindings = TRUE)
        e
    }
    forward_args <- function(fmls, replace = list()) {
        args <- lapply(fmls, function(n) if (!is.null(replace[[n]])) replace[[n]] else as.name(n))
        names(args) <- ifelse(fmls == "...", "", fmls)
        args
    }
    make_wrapper <- function(key, f) {
        spec <- st$specs[[key]]
        kinds <- unlist(spec, use.names = FALSE)
        if (key %in% names(SPECIAL)) return(SPECIAL[[key]](f))
        if (is.primitive(f)) {
            if (typeof(f) != "builtin") return(f) # a special primitive we have no wrapper for
            fm <- formals(args(f))
            if (is.null(fm)) return(f)
            w <- function() NULL
            formals(w) <- fm
            fmls <- names(fm)
            args <- lapply(fmls, as.name) # builtins match by position
            body(w) <- call("{", quote(if (check_frame(environment(), KEY)) return(eval(take(), parent.frame()))),
                            as.call(list(quote(post), as.call(c(list(quote(ORIG)), args)), quote(KEY), quote(environment()))))
            environment(w) <- private_env(key, f)
            return(w)
        }
        post_needed <- isS4(f) || any(c("unserialize", "out", "rehome") %in% kinds) || key %in% POST_KEYS
        if (!post_needed) {
            w <- f
            b <- body(f)
            body(w) <- as.call(list(as.name("{"), prologue(key), b))
            return(w)
        }
        fmls <- names(formals(f))
        w <- function() NULL
        formals(w) <- formals(f)
        pe <- private_env(key, f)
        ORIG <- as.name(sub("^.*::", "", key))
        if ("unserialize" %in% kinds && "envir" %in% fmls) {
            # load() and data() assign what they read into `envir`: they
            # read into a staging environment, checked, then copied.
            inner <- as.call(c(list(ORIG), forward_args(fmls, list(envir = quote(.rw_stage)))))
            body(w) <- call("{", quote(if (check_frame(environment(), KEY)) return(eval(take(), parent.frame()))),
                            quote(.rw_stage <- new.env(parent = check_env(envir, KEY))),
                            call("<-", quote(.rw_value), call("withVisible", inner)),
                            quote(move_staged(.rw_stage, envir, KEY)),
                            quote(if (.rw_value$visible) .rw_value$value else invisible(.rw_value$value)))
        } else {
            inner <- as.call(c(list(ORIG), forward_args(fmls)))
            body(w) <- call("{", quote(if (check_frame(environment(), KEY)) return(eval(take(), parent.frame()))),
                            call("<-", quote(.rw_value), call("withVisible", inner)),
                            quote(.rw_value$value <- post(.rw_value$value, KEY, environment())),
                            quote(if (.rw_value$visible) .rw_value$value else invisible(.rw_value$value)))
        }
        environment(w) <- pe
        w
    }
    post <- function(value, key, frame) {
        kinds <- unlist(st$specs[[key]], use.names = FALSE)
        env <- home(parent.frame(2L))
        if ("unserialize" %in% kinds) value <- scrub(value, env, key)
        if ("out" %in% kinds) value <- check_out(value, key)
        if (inherits(value, "formula")) {
            # asOneSidedFormula() makes formulas of the global environment:
            # a formula handed to user code is evaluated in the user's.
            e <- attr(value, ".Environment")
            if (is.environment(e) && !owned(e)) attr(value, ".Environment") <- env
        }
        if (is.function(value) && !is.primitive(value)) {
            # args() and deriv() make closures enclosed by the global
            # environment: re-homed to the user's.
            e <- environment(value)
            if (!is.null(e) && !owned(e) && nzchar(environmentName(e)) &&
                !identical(.Internal(parent.env(e)), guard))
                environment(value) <- env
        }
        value
    }
    compiled <- function(f) typeof(.Internal(bodyCode(f))) == "bytecode"
    move_staged <- function(stage, target, key) {
        for (nm in ls(stage, all.names = TRUE)) {
            v <- get(nm, envir = stage, inherits = FALSE)
            if (is.function(v) && !is.primitive(v) && owned(environment(v)) && !compiled(v)) {
                assign(nm, v, envir = target) # a function the data's R code defined
                next
            }
            assign(nm, scrub(v, target, key), envir = target)
        }
    }

    # Wrappers of special primitives and of the accessors whose results are
    # checked, written by hand.
    SPECIAL <- list()
    SPECIAL[["base::substitute"]] <- function(f) {
        w <- function(expr, env) {
            if (missing(env)) return(eval(as.call(list(ORIG, substitute(expr))), parent.frame()))
            env <- check_env(env, "substitute(env)")
            eval(as.call(list(ORIG, substitute(expr), env)), parent.frame())
        }
        environment(w) <- private_env("base::substitute", f)
        w
    }

    # local(): base's builds the call eval(quote(expr), envir) and
    # evaluates it in the caller, where `eval` is not reachable in an
    # allowlisted session (nor should it be). The same evaluation, done here:
    # in the given environment (the user's own) or a new one enclosed by
    # the caller.
    SPECIAL[["base::local"]] <- function(f) {
        w <- function(expr, envir = new.env(parent = parent.frame())) {
            caller <- parent.frame()
            check_code(substitute(expr), caller, "base::local(expr)")
            eval(substitute(expr), check_env(envir, "base::local(envir)"), caller)
        }
        environment(w) <- private_env("base::local", f)
        w
    }

    # `$` and `[[` on an environment outside the user's own fail; what they
    # return is checked like the other accessors (no environment outside
    # the user's own, no function the user may not call). Lists and plain
    # environments take a fast path; objects dispatch through the
    # primitive, as at R's console.
    SPECIAL[["base::$"]] <- function(f) {
        w <- function(x, name) {
            if (is.environment(x) && !owned(x)) deny("`$` on an environment outside the user's own")
            nm <- substitute(name)
            if (is.symbol(nm)) nm <- as.character(nm)
            cl <- oldClass(x)
            v <- if (is.null(cl)) {
                if (is.list(x)) .subset2(x, nm, exact = FALSE)
                else if (is.environment(x)) .subset2(x, nm)
                else eval(call("$", quote(x), nm))
            } else if (length(cl) == 1L && cl == "data.frame" && !has_user_dollar()) {
                # $.data.frame, without the closure call: exact, then
                # partial (warning as R does when asked to).
                a <- .subset2(x, nm)
                if (is.null(a)) {
                    a <- .subset2(x, nm, exact = FALSE)
                    if (!is.null(a) && isTRUE(getOption("warnPartialMatchDollar")))
                        warning(gettextf("Partial match of '%s' to '%s' in data frame", nm,
                                         names(x)[pmatch(nm, names(x))]), call. = FALSE)
                }
                a
            } else eval(call("$", quote(x), nm))
            if (is.function(v) || is.environment(v)) check_out(v, "`$`") else v
        }
        environment(w) <- private_env("base::$", f)
        w
    }
    has_user_dollar <- function() !is.null(st$user) && exists("$.data.frame", envir = st$user, inherits = FALSE)
    SPECIAL[["base::[["]] <- function(f) {
        w <- function(x, ...) {
            if (is.environment(x) && !owned(x)) deny("`[[` on an environment outside the user's own")
            v <- ORIG(x, ...)
            if (is.function(v) || is.environment(v)) check_out(v, "`[[`") else v
        }
        environment(w) <- private_env("base::[[", f)
        w
    }
    SPECIAL[["base::@"]] <- function(f) {
        w <- function(object, name) {
            nm <- substitute(name)
            if (is.symbol(nm)) nm <- as.character(nm)
            check_out(eval(call("@", quote(object), as.name(nm))), "`@`")
        }
        environment(w) <- private_env("base::@", f)
        w
    }

    # methods::as: its result is checked like the accessors' (see
    # OUT_KEYS). By hand because the default of `ext` refers to a variable
    # of as() itself: a missing ext must stay missing.
    SPECIAL[["methods::as"]] <- function(f) {
        w <- function(object, Class, strict = TRUE, ext) {
            # Called from an environment under the caller's, so that as()
            # sees the caller as R's as() would, through a name: the
            # original inlined in the call would be handed out with the
            # call of an error (conditionCall()).
            args <- if (missing(ext)) list(object, Class, strict) else list(object, Class, strict, ext)
            at <- new.env(parent = parent.frame())
            assign("as", ORIG, envir = at)
            check_out(eval(as.call(c(list(quote(as)), args)), at), "methods::as")
        }
        environment(w) <- private_env("methods::as", f)
        w
    }

    # The wrapper of pkg::name (created once, so that every path hands out
    # the same function), or the object itself when it has no guards.
    wrap <- function(key, obj) {
        if (!is.function(obj) || !is_guarded(key)) return(obj)
        w <- cache[[key]]
        if (is.null(w)) {
            w <- make_wrapper(key, obj)
            assign(key, w, envir = cache)
        }
        w
    }
    # The object pkg::name as the user may see it.
    lookup <- function(pkg, name) {
        obj <- if (pkg == "base") get(name, envir = .BaseNamespaceEnv, inherits = FALSE)
               else getExportedValue(pkg, name)
        wrap(paste0(pkg, "::", name), obj)
    }

    # `::` and `:::` of an allowlisted session.
    namespace_lookup <- function(pkg, name, op) {
        key <- paste0(pkg, op, name)
        if (!is_allowed(paste0(pkg, "::", name)) || (op == ":::" && !(pkg %in% st$internal)))
            deny(key)
        if (!(pkg %in% st$loadable) && !isNamespaceLoaded(pkg)) deny(paste0("loading package ", pkg))
        ns <- loadNamespace(pkg)
        if (op == ":::") wrap(paste0(pkg, "::", name), get(name, envir = ns, inherits = FALSE))
        else lookup(pkg, name)
    }
    dcolon <- function(pkg, name) namespace_lookup(as.character(substitute(pkg)), as.character(substitute(name)), "::")
    tcolon <- function(pkg, name) namespace_lookup(as.character(substitute(pkg)), as.character(substitute(name)), ":::")

    # library(pkg) in an allowlisted session: load the namespace and add the
    # package's allowed functions (wrapped where they have guards) in a new
    # environment layer above the user's environment's current parent.
    load_package <- function(pkg, fail) {
        if (length(pkg) != 1L || is.na(pkg) || !(pkg %in% st$loadable)) {
            if (fail) deny(paste0("loading package ", pkg))
            return(invisible(FALSE))
        }
        ns <- loadNamespace(pkg)
        user <- st$user
        layer <- new.env(hash = TRUE, parent = .Internal(parent.env(user)))
        prefix <- paste0(pkg, "::")
        for (key in ls(st$allowed, all.names = TRUE)) {
            if (startsWith(key, prefix)) {
                nm <- substring(key, nchar(prefix) + 1L)
                obj <- get0(nm, envir = ns, inherits = FALSE)
                if (!is.null(obj)) assign(nm, wrap(key, obj), envir = layer)
            }
        }
        lockEnvironment(layer, bindings = TRUE)
        .Internal(`parent.env<-`(user, layer))
        invisible(TRUE)
    }
    library_checked <- function(package, ...) {
        pkg <- if (is.character(substitute(package))) package else as.character(substitute(package))
        load_package(pkg, TRUE)
    }
})

.rwarden <- new.env(parent = .BaseNamespaceEnv)
.rwarden$guard <- guard # the harness sees the guards; nothing there leads back
local(envir = .rwarden, {
    self <- environment() # this harness environment
    T_EVAL <- 1L; T_BIND <- 2L; T_ASSIGN <- 3L; T_SETERR <- 4L; T_PUTFILE <- 5L; T_GETFILE <- 6L
    T_LOADCSV <- 7L
    R_READY <- 10L; R_RESULT <- 11L; R_BOUND <- 12L; R_DONE <- 13L; R_FILE <- 14L; R_EVENT <- 15L
    EV_MESSAGE <- 1L; EV_WARNING <- 2L
    EVENT_MAX <- 65536L # bytes of text one event carries (the console has all of it)
    EVENT_COUNT_MAX <- 10000L # events one evaluation sends (rwarden bounds them by bytes too)
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
    in_flight$events <- 0L # events sent by the running evaluation

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
    # A message or warning while an evaluation runs (flag 16): rwarden
    # passes it on at once, after the console output written before it.
    send_event <- function(kind, text) {
        if (in_flight$events >= EVENT_COUNT_MAX) return(invisible(NULL))
        in_flight$events <- in_flight$events + 1L
        r <- charToRaw(enc2utf8(paste(as.character(text), collapse = "\n")))
        if (length(r) > EVENT_MAX) r <- r[seq_len(EVENT_MAX)]
        tryCatch(send(R_EVENT, c(current_nonce, as.raw(kind), i32(length(r)), r)), error = function(e) NULL)
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
        if (is.null(guard$st$allowed)) return(msg)
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
    # As R's PrintWarnings: a warning without a call is its message and a
    # space; one with a call breaks after "In call :" when the first line
    # would pass 75 columns (counting the "n: " of a numbered list).
    format_warnings <- function(ws) {
        if (!length(ws)) return("")
        one <- function(w, lead) {
            msg <- conditionMessage(w)
            call <- user_call(w)
            if (is.null(call)) return(paste0(msg, " "))
            dcall <- deparse(call, nlines = 1L)[[1L]]
            wide <- lead + nchar(dcall, type = "w") + nchar(sub("\n.*", "", msg), type = "w") > 75L
            paste0("In ", dcall, " :", if (wide) "\n " else "", " ", msg)
        }
        if (length(ws) == 1L) return(paste0("Warning message:\n", one(ws[[1L]], 6L), "\n"))
        txt <- vapply(ws, one, "", lead = 10L)
        paste0("Warning messages:\n", paste0(seq_along(txt), ": ", txt, "\n", collapse = ""))
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
        # data.table's := returns its table visibly and marks it not to be
        # printed by the console's next autoprint; shouldPrint() is its
        # interface for code that mimics autoprint (the harness's frames
        # hide the console's call stack that print.data.table looks for).
        if (inherits(value, "data.table") && isNamespaceLoaded("data.table") &&
            !getExportedValue("data.table", "shouldPrint")(value)) return(invisible(NULL))
        if (!is.object(value)) print.default(value)
        else {
            # Call print from the user's environment so that S3 methods the user
            # defined are found, as at R's console.
            pe <- new.env(parent = user_env)
            assign("x", value, envir = pe)
            # show() for S4 objects: the user's own show generic (its
            # methods table holds the methods the user set).
            pf <- base::print
            if (isS4(value)) {
                pf <- get0("show", envir = user_env, mode = "function")
                if (is.null(pf)) pf <- show
            }
            eval(as.call(list(pf, quote(x))), pe)
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
    # Plot capture (flag 8 of an evaluation): while the evaluation runs,
    # R's default device (options("device"), what R opens when code draws
    # with no device open, and what dev.new() opens) is a display-list
    # device (pdf(NULL), so nothing is written). Only an evaluation that
    # draws opens it: opening a device costs more than a small evaluation.
    # Its plot is recorded after every top-level expression (a new page, or
    # more drawn on the same one, replaces the last record), and at the end
    # it is closed and each recorded plot replayed into a PNG (cairo) and an
    # SVG file in the scratch directory, read back and removed. A loop that
    # draws several pages in one expression keeps its last page; drawing on
    # a device the code opened itself is not captured (as at R's console,
    # it goes there). The device function is enclosed by an environment of
    # its own (under base), not the harness's: user code can reach it
    # through getOption("device"), and finds there only the number of the
    # device it opened.
    PLOT_MAX <- 16L
    PLOT_FILE_MAX <- 16 * 1024 * 1024
    plot_cap <- new.env(parent = baseenv())
    plot_cap$opened <- NULL
    plot_device <- eval(quote(function(...) {
        grDevices::pdf(NULL, width = 7, height = 5)
        grDevices::dev.control(displaylist = "enable")
        opened <<- grDevices::dev.cur()
        invisible(NULL)
    }), plot_cap)
    plot_open <- function() {
        plot_cap$opened <- NULL
        in_flight$plot_opt <- options(device = plot_device)
        list(opt = in_flight$plot_opt, dev = NULL, plots = list(), last = NULL)
    }
    # An evaluation left by the abort restart never reaches plot_close:
    # put R's default device back and close the capture device.
    plot_abandon <- function() {
        if (!is.null(in_flight$plot_opt) && identical(getOption("device"), plot_device))
            options(in_flight$plot_opt)
        in_flight$plot_opt <- NULL
        if (plot_dev_ok(plot_cap$opened)) grDevices::dev.off(plot_cap$opened)
        plot_cap$opened <- NULL
    }
    plot_items <- function(p) if (is.null(p)) list() else as.list(p[[1L]]) # a pairlist
    # Is d (still) the capture device: open, and a pdf device (code that
    # closed it may have opened another device under its number)?
    plot_dev_ok <- function(d) {
        l <- grDevices::dev.list()
        !is.null(d) && !is.na(i <- match(d, l)) && names(l)[[i]] == "pdf"
    }
    plot_snapshot <- function(pc) {
        # The device opened last (code that closed it and drew again
        # opened another); none: nothing was drawn.
        d <- plot_cap$opened
        if (is.numeric(d) && length(d) == 1L && !is.na(d)) pc$dev <- as.integer(d)
        if (!plot_dev_ok(pc$dev)) return(pc) # user code closed it
        cur <- grDevices::dev.cur()
        if (cur != pc$dev) grDevices::dev.set(pc$dev)
        p <- tryCatch(grDevices::recordPlot(), error = function(e) NULL)
        if (cur != pc$dev && cur %in% grDevices::dev.list()) grDevices::dev.set(cur)
        items <- plot_items(p)
        if (!length(items) || identical(items, plot_items(pc$last))) return(pc)
        last <- plot_items(pc$last)
        n <- length(pc$plots)
        # The same page with more drawn on it replaces its earlier record.
        if (n && length(items) > length(last) && identical(items[seq_along(last)], last))
            pc$plots[[n]] <- p
        else if (n < PLOT_MAX)
            pc$plots[[n + 1L]] <- p
        pc$last <- p
        pc
    }
    plot_file <- function(p, open) {
        f <- tempfile("rwarden-plot-")
        on.exit(unlink(f))
        before <- grDevices::dev.list()
        ok <- tryCatch({ open(f); grDevices::replayPlot(p); TRUE }, error = function(e) FALSE)
        for (d in setdiff(grDevices::dev.list(), before)) grDevices::dev.off(d) # what open() opened
        size <- file.size(f)
        if (!ok || is.na(size) || size > PLOT_FILE_MAX) return(raw(0))
        readBin(f, "raw", size)
    }
    plot_close <- function(pc) {
        # The default device goes back to what it was, unless the code
        # chose another one.
        if (identical(getOption("device"), plot_device)) options(pc$opt)
        in_flight$plot_opt <- NULL
        pc <- plot_snapshot(pc)
        if (is.null(pc$dev)) return(list())
        if (plot_dev_ok(pc$dev)) grDevices::dev.off(pc$dev)
        plot_cap$opened <- NULL
        lapply(pc$plots, function(p) list(
            png = plot_file(p, function(f) grDevices::png(f, width = 700, height = 500, type = "cairo")),
            svg = plot_file(p, function(f) grDevices::svg(f, width = 7, height = 5))))
    }
    bytes_field <- function(b) c(i32(length(b)), b)
    plots_field <- function(plots)
        c(i32(length(plots)), unlist(lapply(plots, function(p) c(bytes_field(p$png), bytes_field(p$svg))),
                                     use.names = FALSE))

    eval_request <- function(code, want_value, quiet = FALSE, plots = FALSE, events = FALSE) {
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
        pc <- if (plots) plot_open()
        in_flight$events <- 0L
        in_flight$active <- TRUE
        err <- tryCatch(
            withCallingHandlers({
                for (i in seq_along(exprs)) {
                    res <- runner(exprs[[i]])
                    value <- res$value
                    if (res$visible && !quiet) autoprint(value)
                    flush_warnings()
                    if (plots) pc <- plot_snapshot(pc)
                }
                NULL
            },
            warning = function(w) {
                pending[[length(pending) + 1L]] <<- w
                if (events) send_event(EV_WARNING, conditionMessage(w))
                invokeRestart("muffleWarning")
            },
            message = function(m) {
                msg <- conditionMessage(m)
                messages <<- c(messages, msg)
                if (events) {
                    # Printed here as message()'s default handler would,
                    # so that the event follows its console text.
                    if (!is.null(findRestart("muffleMessage", m))) {
                        cat(msg, file = stderr(), sep = "")
                        send_event(EV_MESSAGE, msg)
                        invokeRestart("muffleMessage")
                    }
                    send_event(EV_MESSAGE, msg)
                }
            }),
            error = function(e) e)
        in_flight$active <- FALSE
        captured <- if (plots) tryCatch(plot_close(pc), error = function(e) list())
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
             value = ser, plots = captured)
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
    # A streamed assignment (flag 16) carries the client's serialization of
    # list(name, value), which rwarden checked as it passed it on, and a
    # last byte that says whether the check went through to the end (1);
    # anything else is not unserialized at all.
    assign_request <- function(payload, flags) {
        n <- readBin(payload, "integer", 1L, size = 4L, endian = "little")
        if (length(n) != 1L || n < 1L || n + 4L > length(payload)) stop("malformed assignment")
        name <- rawToChar(payload[5L:(4L + n)])
        Encoding(name) <- "UTF-8"
        if (bitwAnd(flags, 16L) != 0L) {
            last <- length(payload)
            if (last < n + 5L || payload[[last]] != as.raw(1L)) stop("assignment refused by rwarden")
            pair <- unserialize(payload[(5L + n):(last - 1L)])
            if (!is.list(pair) || length(pair) < 2L) stop("malformed assignment")
            value <- pair[[2L]]
        } else
            value <- unserialize(payload[-seq_len(4L + n)])
        if (!is_plain_data(value)) stop("only data values can be assigned")
        assign(name, value, envir = user_env)
        ""
    }

    # Files in the scratch directory, for rwarden's file API. The request
    # names the full path (rwarden builds it from the scratch directory and
    # a name it checked); Landlock confines the worker's writes to scratch
    # whatever the path says. A short write (the quota's tmpfs full) removes
    # the file and fails.
    put_file <- function(payload, flags = 0L) {
        n <- readBin(payload, "integer", 1L, size = 4L, endian = "little")
        if (length(n) != 1L || is.na(n) || n < 1L || n + 4L > length(payload)) stop("malformed file request")
        path <- rawToChar(payload[5L:(4L + n)])
        data <- payload[-seq_len(4L + n)]
        # Flag 32: append (an upload arriving in pieces, upload.go).
        append <- bitwAnd(flags, 32L) != 0L
        before <- if (append) file.size(path) else 0
        if (is.na(before)) stop("no upload to append to")
        con <- file(path, open = if (append) "ab" else "wb")
        ok <- tryCatch({ writeBin(data, con); TRUE }, error = function(e) FALSE)
        close(con)
        if (!ok || !identical(file.size(path), before + length(data))) {
            unlink(path)
            stop("the file could not be written in full (scratch disk quota)")
        }
        ""
    }
    # Request: int32 largest size, then the path.
    get_file <- function(payload) {
        if (length(payload) < 5L) stop("malformed file request")
        limit <- readBin(payload, "integer", 1L, size = 4L, endian = "little")
        path <- rawToChar(payload[-(1:4)])
        if (!file.exists(path) || dir.exists(path)) stop("no such file")
        size <- file.size(path)
        if (is.na(size) || size > limit) stop(sprintf("the file is larger than %d bytes", limit))
        readBin(path, "raw", size)
    }

    # A CSV table uploaded into the scratch directory (upload.go) becomes
    # the data frame `name`: read by a fixed reader, never by user code
    # (data.table::fread on one thread when installed, else
    # utils::read.csv), checked to be data, assigned; the file is removed
    # whatever happens. A warning (a ragged line: fread would stop early)
    # is an error. Flag 32: only remove the file. The answer describes the
    # table: rows, columns, then each column's name and typeof().
    load_csv <- function(payload, flags) {
        n <- readBin(payload, "integer", 1L, size = 4L, endian = "little")
        if (length(n) != 1L || is.na(n) || n < 1L || n + 4L >= length(payload)) stop("malformed upload request")
        path <- rawToChar(payload[5L:(4L + n)])
        name <- rawToChar(payload[-seq_len(4L + n)])
        Encoding(name) <- "UTF-8"
        on.exit(unlink(path))
        if (bitwAnd(flags, 32L) != 0L) return(raw(0))
        fread <- requireNamespace("data.table", quietly = TRUE)
        read <- function() {
            if (fread)
                data.table::fread(file = path, sep = ",", header = TRUE, na.strings = "NA",
                                  data.table = FALSE, encoding = "UTF-8", fill = FALSE,
                                  showProgress = FALSE, nThread = 1L, integer64 = "double",
                                  check.names = FALSE, strip.white = FALSE)
            else
                utils::read.csv(path, stringsAsFactors = FALSE, na.strings = "NA",
                                fill = FALSE, encoding = "UTF-8", check.names = FALSE,
                                strip.white = FALSE)
        }
        # Warnings are collected, not turned into errors on the spot: a
        # jump out of fread's C code would leave its state behind.
        warned <- NULL
        x <- withCallingHandlers(read(), warning = function(w) {
            if (is.null(warned)) warned <<- conditionMessage(w)
            invokeRestart("muffleWarning")
        })
        if (!is.null(warned)) stop(warned, call. = FALSE)
        x <- as.data.frame(x, stringsAsFactors = FALSE)
        if (fread) {
            # fread (1.14) keeps a quoted field's doubled quotes; RFC 4180
            # (and read.csv) read them as one.
            unq <- function(v) if (any(grepl('""', v, fixed = TRUE))) gsub('""', '"', v, fixed = TRUE) else v
            names(x) <- unq(names(x))
            for (i in seq_along(x)) if (is.character(x[[i]])) x[[i]] <- unq(x[[i]])
        }
        if (ncol(x) > 10000L) stop("more than 10000 columns")
        d <- anyDuplicated(names(x))
        if (d) stop(sprintf("column \"%s\" appears twice", names(x)[[d]]))
        if (!is_plain_data(x)) stop("only data values can be assigned")
        assign(name, x, envir = user_env)
        c(i32(nrow(x)), i32(ncol(x)),
          unlist(lapply(seq_along(x), function(i) c(str_field(names(x)[[i]]), str_field(typeof(x[[i]])))),
                 use.names = FALSE))
    }

    ZERO4 <- i32(0L)
    NO_VALUE <- i32(-1L)
    STATUS_RAW <- lapply(0:3, i32)
    encode_result <- function(nonce, r) {
        value <- if (is.null(r$value)) NO_VALUE else c(i32(length(r$value)), r$value)
        if (!is.null(r$plots)) value <- c(value, plots_field(r$plots))
        if (!length(r$messages) && !length(r$warnings) && !nzchar(r$error))
            return(c(nonce, STATUS_RAW[[r$status + 1L]], ZERO4, ZERO4, ZERO4, value))
        c(nonce, STATUS_RAW[[r$status + 1L]], str_list(r$messages), str_list(r$warnings),
          str_field(r$error), value)
    }

    # ---- Session binding: the runtime allowlist ----
    # Request text: lines "mode\tallowlist|unrestricted", "F\tpkg::name"
    # (allowed objects, in search order: the first entry for a name wins),
    # "P\tpkg" (loadable packages), "I\tpkg" (packages whose internals
    # `:::` may reach), "G\tpkg::name\tparam\tkind" (guarded parameters,
    # see guard). An allowlisted session evaluates in an environment
    # whose only ancestors hold the allowed objects (taken from their
    # namespaces, wrapped where they have guards) and the checked `::`,
    # `:::`, library() and require(); its last ancestor is the empty
    # environment, so nothing else is reachable by name. Vectorised: a
    # restricted user's list has thousands of entries and binding is on the
    # session start path.
    load_filter <- function(sel, skip) {
        f <- function(n) n %in% sel & !(n %in% skip)
        environment(f) <- list2env(list(sel = sel, skip = skip), parent = .BaseNamespaceEnv)
        f
    }
    bind <- function(text) {
        lines <- strsplit(text, "\n", fixed = TRUE)[[1L]]
        tab <- regexpr("\t", lines, fixed = TRUE)
        kind <- substr(lines, 1L, tab - 1L)
        val <- substring(lines, tab + 1L)
        mode <- val[kind == "mode"]
        st <- guard$st
        if (!length(mode) || mode[[1L]] == "unrestricted") {
            set_user_env(globalenv())
            lockEnvironment(st, bindings = TRUE)
            return("")
        }
        # Functions that read the frames on the call stack, where the
        # harness's own frames sit under user code (dynGet's inherits = TRUE
        # reaches base through them): no allowlist holds them, whatever the
        # policy grants (the shipped roles hard-deny them too).
        fns <- val[kind == "F"]
        fns <- fns[!(fns %in% c("base::dynGet", "base::sys.status", "utils::dump.frames"))]
        st$loadable <- val[kind == "P"]
        st$internal <- val[kind == "I"]
        st$allowed <- list2env(structure(as.list(rep_len(TRUE, length(fns))), names = fns),
                               envir = new.env(hash = TRUE, parent = emptyenv(), size = length(fns) + 29L))
        allowed <- st$allowed
        # Guards: key -> list(param = kinds). The accessors whose results
        # are checked are added here, whatever the model says.
        g <- strsplit(val[kind == "G"], "\t", fixed = TRUE)
        specs <- new.env(hash = TRUE, parent = emptyenv())
        add_spec <- function(key, param, k) {
            s <- specs[[key]]
            if (is.null(s)) s <- list()
            s[[param]] <- unique(c(s[[param]], k))
            assign(key, s, envir = specs)
        }
        # Parameters whose name the harness checks its own way: a new
        # generic's or method's name (newname below), a restart's name
        # (restarts are looked up among the active restarts, never as
        # functions; the harness's own is sealed), a class's name (new()
        # looks it up among class definitions, never as a function; what it
        # runs is initialize(), whose methods setMethod() guards), the
        # generic standardGeneric() dispatches (it must be called from the
        # generic's own frame, so it cannot be wrapped; R refuses a name
        # that is not that generic's).
        own_way <- c("methods::setGeneric\tname", "methods::setMethod\tf", "methods::new\tClass",
                     "base::standardGeneric\tf",
                     "base::invokeRestart\tr", "base::invokeRestartInteractively\tr")
        for (x in g) if (length(x) == 3L && !(paste(x[[1L]], x[[2L]], sep = "\t") %in% own_way))
            add_spec(x[[1L]], x[[2L]], x[[3L]])
        for (key in c(guard$OUT_KEYS, "base::$", "base::[[", "base::@")) add_spec(key, ".out", "out")
        # A baseline that holds whatever the model says (and before the
        # proxy hands the model's guards over): functions that resolve a
        # function's name in frames of their own.
        for (x in strsplit(c("base::lapply FUN", "base::sapply FUN", "base::vapply FUN",
                "base::mapply FUN", "base::Map f", "base::Filter f", "base::Reduce f",
                "base::Position f", "base::Find f", "base::Negate f", "base::outer FUN",
                "base::Vectorize FUN", "base::apply FUN", "base::tapply FUN", "base::sweep FUN",
                "stats::aggregate FUN", "base::by FUN", "stats::ave FUN", "base::do.call what",
                "base::match.fun FUN", "base::rapply f", "base::eapply FUN", "base::kronecker FUN",
                "methods::kronecker FUN", "base::withRestarts ..."), " ", fixed = TRUE))
            add_spec(x[[1L]], x[[2L]], "fun")
        # Functions that hand back formulas of the global environment.
        add_spec("stats::asOneSidedFormula", ".out", "rehome")
        # local() evaluates through the harness's own code (see guard).
        add_spec("base::local", "expr", "code")
        add_spec("base::local", "envir", "env")
        # S4 definitions by the name of an existing function.
        add_spec("methods::setGeneric", "name", "newname")
        add_spec("methods::setMethod", "f", "newname")
        st$specs <- specs
        sep <- regexpr("::", fns, fixed = TRUE)
        pkg <- substr(fns, 1L, sep - 1L)
        nm <- substring(fns, sep + 2L)
        first <- sep > 0L & !duplicated(nm)
        pkg <- pkg[first]
        nm <- nm[first]
        patch_within()
        patch_as_list_function()
        # Refused methods of a namespace are taken from it, not from the
        # lazy-load database: a direct call refuses too.
        refused <- refuse_outside_methods()
        # data.table optimises j (mean(x) becomes .External(Cfastmean, x),
        # sum(x) by group a GForce call) and evaluates the result in an
        # environment enclosed by the caller's, where an allowlisted user
        # has no .External. Unoptimised, j is the user's own code, which
        # prints the same. Set before data.table loads, whose .onLoad keeps
        # an option already set.
        options(datatable.optimize = 0L)
        allow_env <- new.env(hash = TRUE, parent = emptyenv(), size = length(nm) + 29L)
        # The user's environment, made now: the stats functions patched
        # to resolve names there are patched before the allowlist takes
        # them from the namespace.
        env <- new.env(parent = allow_env)
        patch_stats_lookups(env)
        for (p in unique(pkg)) {
            sel <- nm[pkg == p]
            if (p != "base" && !isNamespaceLoaded(p)) next # not loaded yet: library() adds it
            # Objects come from the package's own lazy-load database as
            # promises, loaded only if used: binding stays cheap (no
            # unserializing of hundreds of functions per session) and the
            # closures keep their namespaces as environments.
            db <- if (p == "datasets") file.path(find.package(p), "data", "Rdata")
                  else file.path(find.package(p), "R", p)
            # The promises lazyLoad() makes keep its frame, and so the
            # filter, as their environment; serialize() of any user value
            # (a closure, a formula) walks from the user's environment
            # through them. The filter is therefore enclosed by a small
            # environment of its own under base, never by this frame,
            # which leads to the harness (its channels and the nonce).
            if (file.exists(paste0(db, ".rdx")))
                lazyLoad(db, envir = allow_env, filter = load_filter(sel, c(PATCHED[[p]], refused[[p]])))
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
        # Guarded functions: their bindings become promises of their
        # wrappers (made at first use, like the lazy-loaded originals).
        keys <- paste0(pkg, "::", nm)
        for (i in which(keys %in% names(specs))) {
            if (!exists(nm[[i]], envir = allow_env, inherits = FALSE)) next
            pe <- new.env(parent = guard)
            pe$p <- pkg[[i]]; pe$n <- nm[[i]]
            rm(list = nm[[i]], envir = allow_env)
            delayedAssign(nm[[i]], lookup(p, n), eval.env = pe, assign.env = allow_env)
        }
        if (is.function(get0("ls", envir = allow_env, inherits = FALSE))) {
            # ls(name) turns a failed `name` into a search-list name ("no item
            # called ..."), hiding why it failed; report the real error.
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
            pe <- new.env(parent = guard)
            delayedAssign("base_ls", lookup("base", "ls"), eval.env = guard, assign.env = pe)
            environment(ls_checked) <- pe
            assign("ls", ls_checked, envir = allow_env)
        }
        assign("::", guard$dcolon, envir = allow_env)
        assign(":::", guard$tcolon, envir = allow_env)
        assign("library", guard$library_checked, envir = allow_env)
        # require() of a package the user may not load fails loudly, like
        # library(), instead of quietly returning FALSE.
        assign("require", guard$library_checked, envir = allow_env)
        assign("requireNamespace", guard$library_checked, envir = allow_env)
        lockEnvironment(allow_env, bindings = TRUE)
        # A top-level environment of its own (topenv() stops at an
        # environment holding .packageName): S4 classes, generics and methods
        # defined by the user are stored here, as in the global environment
        # at R's console, not in the real global environment out of reach.
        assign(".packageName", ".GlobalEnv", envir = env)
        set_user_env(env)
        st$user <- env
        lockEnvironment(st, bindings = TRUE)
        ""
    }

    # within()'s data frame and list methods evaluate environment() in the
    # caller's scope (evalq(environment(), data, parent)), where an
    # allowlisted user need not have environment(). In an allowlisted
    # session their base bindings (which the allowlist then takes, not the
    # lazy-load database's) call it inlined, looked up nowhere: it returns
    # the fresh environment of data's columns, enclosed by the caller's,
    # nothing foreign.
    WITHIN <- c("within.data.frame", "within.list")
    inline_environment <- function(x) {
        if (identical(x, quote(environment()))) return(as.call(list(base::environment)))
        for (i in seq_along(x)) if (is.call(x[[i]])) x[[i]] <- inline_environment(x[[i]])
        x
    }
    patch_within <- function() {
        for (n in WITHIN) {
            f <- get(n, envir = .BaseNamespaceEnv, inherits = FALSE)
            body(f) <- inline_environment(body(f))
            unlockBinding(n, .BaseNamespaceEnv)
            assign(n, f, envir = .BaseNamespaceEnv)
            lockBinding(n, .BaseNamespaceEnv)
        }
    }

    # A wrapped closure's body starts with the guards' prologue, which
    # holds check_frame() and take() inlined (closures of the guards' own
    # environment). body() refuses a wrapper, but as.list() of a function
    # (also what lapply(), Reduce(), Filter() and `mode<-` take a function
    # apart with) is base's as.list.function, which reads the body
    # internally: in an allowlisted session it leaves the prologue out,
    # so the user sees the function's own body, as at R's console. R's
    # own functions hold no inlined closures, so the test (an `if` whose
    # condition calls a function object) is the prologue's alone.
    as_list_function <- function(x, ...) {
        b <- body(x)
        if (is.call(b) && length(b) >= 2L && identical(b[[1L]], as.name("{"))) {
            s <- b[[2L]]
            if (is.call(s) && identical(s[[1L]], as.name("if")) && is.call(s[[2L]]) && is.function(s[[2L]][[1L]]))
                b <- if (length(b) == 3L) b[[3L]] else b[-2L]
        }
        c(formals(x), list(b))
    }
    environment(as_list_function) <- .BaseNamespaceEnv
    patch_as_list_function <- function() {
        unlockBinding("as.list.function", .BaseNamespaceEnv)
        assign("as.list.function", as_list_function, envir = .BaseNamespaceEnv)
        lockBinding("as.list.function", .BaseNamespaceEnv)
    }

    # stats finds two functions by a name it reads from data, not from an
    # argument (which the guards check): a factor's "contrasts" attribute
    # (contrasts(), called by model.matrix() and so by lm()) and a data
    # frame's "na.action" attribute (model.frame.default()). R resolves
    # those names from stats' own frames, i.e. in its namespace, whose
    # enclosures reach every base function: attr(f, "contrasts") <-
    # "dyn.load" had model.matrix(~ f) call dyn.load(). In an allowlisted
    # session such a name is resolved in the user's environment, where
    # a contrast or na.action function the user defined or may call is
    # found (as at R's console, where it is found in the global
    # environment). The contrasts option (not the user's to set) is still
    # resolved as R does.
    replace_call <- function(x, old, new) {
        if (identical(x, old)) return(new)
        for (i in seq_along(x)) if (is.call(x[[i]])) x[[i]] <- replace_call(x[[i]], old, new)
        x
    }
    # Functions patched in their namespaces: an allowlist takes them from
    # there, not from the package's lazy-load database (the originals).
    PATCHED <- list(base = c("within.data.frame", "within.list", "as.list.function", "do.call"),
                    stats = c("contrasts", "model.frame.default", "model.frame.lm", "model.frame.glm",
                              "model.frame.aovlist", "formula.default", "update.default",
                              "expand.model.frame", "predict.lm", "predict.mlm", "glm.fit",
                              "makepredictcall.poly"),
                    splines = c("makepredictcall.bs", "makepredictcall.ns"))
    patch_ns_fun <- function(pkg, name, old, new) {
        ns <- asNamespace(pkg)
        f <- get(name, envir = ns, inherits = FALSE)
        b <- replace_call(body(f), old, new)
        # Fail closed: an R whose code differs must not run unguarded.
        if (identical(b, body(f))) stop(sprintf("cannot guard %s::%s", pkg, name))
        body(f) <- b
        unlockBinding(name, ns)
        assign(name, f, envir = ns)
        lockBinding(name, ns)
        # An S3 method is dispatched from the namespace's registry, which
        # holds the function object registered when the package loaded.
        tbl <- get0(".__S3MethodsTable__.", envir = ns, inherits = FALSE)
        if (is.environment(tbl) && exists(name, envir = tbl, inherits = FALSE)) assign(name, f, envir = tbl)
    }
    # S3 dispatch finds a method in the registry of the generic's
    # namespace (and, for a method of the generic's own package, in that
    # namespace) whatever the user may call: print() of an object the user
    # classed "vignette" or "packageInfo" ran utils' and base's methods,
    # which start programs, the help server or a pager (third red team,
    # stop 23). In an allowlisted session a registered method whose body
    # calls one of those functions refuses instead, from the registry and
    # from its namespace.
    OUTSIDE <- c("system", "system2", "shell", "shell.exec", "browseURL", "file.show", "file.edit",
                 "edit", "help.start", "startDynamicHelp", "Sys.setenv", "pager", "vignette")
    refuse_outside_methods <- function() {
        refused <- list()
        for (pkg in loadedNamespaces()) {
            ns <- asNamespace(pkg)
            tbl <- get0(".__S3MethodsTable__.", envir = ns, inherits = FALSE)
            if (!is.environment(tbl)) next
            for (m in ls(tbl, all.names = TRUE)) {
                f <- get(m, envir = tbl, inherits = FALSE)
                if (typeof(f) != "closure" || !any(OUTSIDE %in% all.names(body(f)))) next
                home <- environment(f)
                key <- paste0(if (isNamespace(home)) getNamespaceName(home) else "?", "::", m)
                r <- refusal(key)
                assign(m, r, envir = tbl)
                if (isNamespace(home) && exists(m, envir = home, inherits = FALSE) &&
                    identical(get(m, envir = home, inherits = FALSE), f)) {
                    unlockBinding(m, home)
                    assign(m, r, envir = home)
                    lockBinding(m, home)
                    hp <- unname(getNamespaceName(home))
                    refused[[hp]] <- c(refused[[hp]], m)
                }
            }
        }
        refused
    }
    # A refusal is enclosed by a small environment under base, never by
    # the harness's frames (user code can reach a method's environment).
    refusal <- function(key) {
        e <- new.env(parent = baseenv())
        e$key <- key
        f <- function(x, ...) stop(sprintf("not allowed: %s (an S3 method that runs programs or a pager)", key), call. = FALSE)
        environment(f) <- e
        f
    }
    # own_or_user(E): the environment E when it is the user's own (its
    # top-level environment is the user's, which holds .packageName), else
    # the user's environment. Inlined in stats' code, which cannot reach
    # the guards.
    own_or_user <- function(E, env)
        call("if", call("&&", call("is.environment", call("<-", quote(.rw_e), E)),
                        call("identical", call("topenv", quote(.rw_e)), env)),
             quote(.rw_e), env)
    # stats evaluates code it takes from a model object (object$call,
    # x$formula) or a formula's variables in an environment that defaults
    # to its own frame when the object names none: a hand-made object
    # (list(formula = <call>), a "terms" without an environment) had that
    # code run where every base function is found. Such code runs in the
    # user's environment instead, as at R's console (the global
    # environment). Objects R makes name the user's environments and are
    # unaffected.
    patch_stats_eval <- function(env) {
        for (n in c("model.frame.lm", "model.frame.glm", "model.frame.default"))
            patch_ns_fun("stats", n, quote(environment(formula$terms) %||% parent.frame()),
                         own_or_user(quote(environment(formula$terms)), env))
        patch_ns_fun("stats", "model.frame.aovlist", quote(environment(Terms) %||% parent.frame()),
                     own_or_user(quote(environment(Terms)), env))
        patch_ns_fun("stats", "model.frame.default", quote(env <- environment(formula)),
                     call("<-", quote(env), own_or_user(quote(environment(formula)), env)))
        for (e in list(quote(x$formula), quote(x$call$formula), quote(str2expression(x)), quote(x)))
            patch_ns_fun("stats", "formula.default", call("eval", e), call("eval", e, env))
        patch_ns_fun("stats", "update.default", quote(eval(call, parent.frame())),
                     call("eval", quote(call), own_or_user(quote(parent.frame()), env)))
        patch_ns_fun("stats", "expand.model.frame", quote(eval(model$call$data, envir)),
                     call("eval", quote(model$call$data), own_or_user(quote(envir), env)))
        # predict() evaluates a model's offsets in newdata, enclosed by
        # its own frame unless told otherwise: by the terms' environment.
        for (e in list(quote(attr(tt, "variables")[[i + 1]]), quote(object$call$offset)))
            patch_ns_fun("stats", "predict.lm", call("eval", e, quote(newdata)),
                         call("eval", e, quote(newdata), own_or_user(quote(environment(tt)), env)))
        e <- quote(attr(tt, "variables")[[off.num + 1]])
        patch_ns_fun("stats", "predict.mlm", call("eval", e, quote(newdata)),
                     call("eval", e, quote(newdata), own_or_user(quote(environment(tt)), env)))
    }
    # glm.fit() evaluates a family's initialize expression in its own
    # frame (the expression sets n and mustart there), where every base
    # function is found: a family list whose initialize was a call built
    # around any name ran that function. The expressions of R's own
    # families run as R does; any other runs in a copy of the frame
    # enclosed by the user's environment, and what it sets is copied back.
    family_inits <- function() {
        fams <- list(stats::binomial(), stats::quasibinomial(), stats::poisson(), stats::quasipoisson(),
                     stats::gaussian(), stats::Gamma(), stats::inverse.gaussian())
        # quasi() reads its variance unevaluated, so each is written out.
        fams <- c(fams, list(stats::quasi(variance = "constant"), stats::quasi(variance = "mu(1-mu)"),
                             stats::quasi(variance = "mu"), stats::quasi(variance = "mu^2"),
                             stats::quasi(variance = "mu^3")))
        unique(lapply(fams, function(f) f$initialize))
    }
    patch_glm_init <- function(env) {
        own <- call("{",
                    call("<-", quote(.rw_ie), call("list2env", quote(as.list(environment(), all.names = TRUE)),
                                                   parent = env)),
                    quote(eval(family$initialize, .rw_ie)),
                    quote(for (.rw_n in ls(.rw_ie, all.names = TRUE))
                        assign(.rw_n, get(.rw_n, envir = .rw_ie), envir = environment())))
        known <- call("any", call("vapply", family_inits(), quote(identical), NA, quote(family$initialize)))
        patch_ns_fun("stats", "glm.fit", quote(eval(family$initialize)),
                     call("if", known, quote(eval(family$initialize)), own))
    }
    # makepredictcall()'s poly, bs and ns methods evaluate the head of a
    # model variable's call (call[[1L]]) in their own frame to see whether
    # it is poly (bs, ns): a hand-made "variables" attribute of a model's
    # terms whose head was a call ran it there, where every base function
    # is found (a variable that evaluates to a "poly" object in the user's
    # environment reaches the method). Only a name, or pkg::name, is
    # looked up now, which runs no code; any other head is not poly.
    patch_predictcall <- function(pkg, name) {
        head_ok <- quote(is.symbol(.rw_h <- call[[1L]]) ||
                         (is.call(.rw_h) && length(.rw_h) == 3L && is.symbol(.rw_h[[2L]]) && is.symbol(.rw_h[[3L]]) &&
                          (identical(.rw_h[[1L]], as.name("::")) || identical(.rw_h[[1L]], as.name(":::")))))
        patch_ns_fun(pkg, name, quote(eval(call[[1L]])), call("if", head_ok, quote(eval(.rw_h))))
    }
    # do.call() builds a call of its arguments' values and evaluates it in
    # envir: a value that is itself a call or a name is evaluated there.
    # Package code calls do.call() on lists the user gave (as.data.frame()
    # of a list, so data.frame(list(a = L)); aggregate() on what FUN
    # returned), with envir its own frame, where every base function is
    # found: a call built around any name ran there. When envir is not the
    # user's, a call among the arguments is refused (a formula, `~`, only
    # remakes itself; quote(), as enquote() makes for withRestarts(), runs
    # nothing), and so is a name that is not a variable of that very
    # frame (head() passes its own x; .rwarden sits in the global
    # environment, which every namespace reaches). The user's own do.call()
    # evaluates in her environment and is unaffected.
    patch_do_call <- function(env) {
        check <- call("if",
            call("&&", quote(!quote && any(vapply(args, is.language, NA))),
                 call("!", call("identical", quote(topenv(envir)), env))),
            # (Primitives only on the elements: an empty name, as in
            # head()'s x[, , drop = FALSE], cannot be bound to a variable.)
            quote({
                .rw_c <- args[vapply(args, is.call, NA)]
                .rw_s <- as.character(args[vapply(args, is.symbol, NA)])
                .rw_s <- .rw_s[nzchar(.rw_s)]
                if (!all(vapply(.rw_c, function(a) identical(a[[1L]], as.name("~")) ||
                                                   identical(a[[1L]], as.name("quote")) ||
                                                   identical(a[[1L]], quote(base::quote)), NA)) ||
                    !all(vapply(.rw_s, exists, NA, envir = envir, inherits = FALSE)))
                    stop("not allowed: do.call() of code in a value the user gave (call or name)", call. = FALSE)
            }))
        patch_ns_fun("base", "do.call", quote(.Internal(do.call(what, args, envir))),
                     call("{", check, quote(.Internal(do.call(what, args, envir)))))
    }
    patch_stats_lookups <- function(env) {
        patch_do_call(env)
        patch_stats_eval(env)
        patch_glm_init(env)
        patch_predictcall("stats", "makepredictcall.poly")
        # splines is loaded now for a user who may load it: its methods
        # are registered (and dispatched) from the moment it loads.
        if ("splines" %in% guard$st$loadable && requireNamespace("splines", quietly = TRUE))
            for (n in c("makepredictcall.bs", "makepredictcall.ns")) patch_predictcall("splines", n)
        patch_ns_fun("stats", "contrasts",
                     quote(get(ctr, mode = "function", envir = parent.frame())),
                     call("get", quote(ctr), mode = "function",
                          envir = call("if", quote(NL), quote(parent.frame()), env)))
        patch_ns_fun("stats", "model.frame.default",
                     quote(naa <- attr(data, "na.action")),
                     call("<-", quote(naa), call("if", quote(is.character(.rw_naa <- attr(data, "na.action"))),
                                                 call("get", quote(.rw_naa), mode = "function", envir = env),
                                                 quote(.rw_naa))))
    }

    set_user_env <- function(env) {
        user_env <<- env
        runner <<- make_runner(env)
    }
    serve_loop <- function() {
        repeat {
            req <- next_request()
            if (is.null(req)) return(FALSE) # rwarden closed the channel: end of session
            current_nonce <<- req$nonce
            if (req$type == T_ASSIGN) {
                err <- tryCatch(assign_request(req$body, req$flags), error = function(e) conditionMessage(e))
                send(R_DONE, c(current_nonce, str_field(err)))
                answered()
                next
            }
            if (req$type == T_PUTFILE) {
                err <- tryCatch(put_file(req$body, req$flags), error = function(e) conditionMessage(e))
                send(R_DONE, c(current_nonce, str_field(err)))
                answered()
                next
            }
            if (req$type == T_LOADCSV) {
                got <- tryCatch(list(err = "", data = load_csv(req$body, req$flags)),
                                error = function(e) list(err = conditionMessage(e), data = raw(0)))
                send(R_FILE, c(current_nonce, str_field(got$err), i32(length(got$data)), got$data))
                answered()
                next
            }
            if (req$type == T_GETFILE) {
                got <- tryCatch(list(err = "", data = get_file(req$body)),
                                error = function(e) list(err = conditionMessage(e), data = raw(0)))
                send(R_FILE, c(current_nonce, str_field(got$err), i32(length(got$data)), got$data))
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
                r <- eval_request(body, bitwAnd(req$flags, 1L) != 0L, bitwAnd(req$flags, 2L) != 0L,
                                  bitwAnd(req$flags, 8L) != 0L, bitwAnd(req$flags, 16L) != 0L)
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
    # The handler of the harness's abort restart is visible to user code
    # (computeRestarts()): it is enclosed by the empty environment, so it
    # leads nowhere.
    abort_handler <- function() TRUE
    environment(abort_handler) <- emptyenv()

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
                     "i32", "str_field", "str_list", "format_error", "user_call",
                     "plot_open", "plot_snapshot", "plot_close", "plot_items", "plot_dev_ok"))
            assign(nm, compiler::cmpfun(get(nm, envir = self)), envir = self)
        invisible(encode_result(raw(NONCE_BYTES), eval_request("invisible(NULL)", FALSE)))
        # The capture device's first use in a process loads font metrics and
        # encodings (some 10 ms); done here, forked sessions inherit them.
        invisible(encode_result(raw(NONCE_BYTES), eval_request("invisible(NULL)", FALSE, FALSE, TRUE)))
        plot_device()
        grDevices::dev.off()
        plot_cap$opened <- NULL
        reset_console()
        prepared <<- TRUE
    }
    # A fork template (template.R) enters the loop with ready = FALSE: its
    # session processes say they are ready, each with its own pid.
    serve <- function(ready = TRUE) {
        if (!prepared) prepare()
        if (ready) send(R_READY, charToRaw(paste(R.version.string, Sys.getpid(), sep = "\n")))
        repeat {
            done <- withRestarts(serve_loop(), abort = abort_handler)
            if (!isTRUE(done)) break
            # Code that closed every connection (closeAllConnections())
            # closed the harness's views of fds 3 and 4 too, and the failed
            # answer landed here: nothing can be answered any more, so the
            # worker ends at once (rwarden reports it gone) rather than
            # failing into this restart until the wall-clock limit.
            if (!channels_ok()) .Internal(quit("no", 3L, FALSE))
            if (in_flight$active) {
                in_flight$active <- FALSE
                tryCatch(plot_abandon(), error = function(e) NULL)
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
