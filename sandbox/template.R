    # ---- Fork template (sandbox/template.go; replaces the harness's last
    # call, `.rwarden$serve()`, inside the harness's outer local()) ----
    # The template loads and prepares everything a session needs, says it
    # is ready, then hands control to the fork library, which serves fork
    # requests from rwarden on its control socket and returns only in a
    # forked session process (role 1), already confined, or when rwarden
    # closes the channel.
    # No user code ever runs in the template, and it holds no secret: a
    # session's memory is a copy of it.
    rwarden_fork <- dyn.load("@FORKLIB@", local = TRUE, now = TRUE)
    invisible(getNativeSymbolInfo("rwarden_fork_abi_2", rwarden_fork)) # the protocol this rwarden speaks
    rwarden_serve_sym <- getNativeSymbolInfo("rwarden_template_serve", rwarden_fork)
    .rwarden$prepare()
    # A second run of the request path: R's JIT compiles a closure at its
    # second call, which would otherwise come in every session's first
    # evaluation (some 4 ms of CPU each).
    # And the path of a printed value (print.default and what it loads
    # lazily), printed into the null device, twice for the JIT: otherwise
    # every session whose first evaluation prints would load and compile
    # it in its own copy of the memory.
    local(envir = .rwarden, {
        invisible(encode_result(raw(NONCE_BYTES), eval_request("invisible(NULL)", FALSE)))
        null_con <- file(nullfile(), "w")
        sink(null_con)
        for (i in 1:2) invisible(encode_result(raw(NONCE_BYTES), eval_request("1+1", FALSE)))
        sink()
        close(null_con)
        rm(null_con, i)
        reset_console()
    })
    if (exists(".Random.seed", envir = globalenv(), inherits = FALSE))
        rm(".Random.seed", envir = globalenv())
    local(envir = .rwarden, send(R_READY, charToRaw(paste(R.version.string, Sys.getpid(), sep = "\n"))))
    # A template for an allowlist binds it here, once for every session it
    # forks: its only request, from rwarden (sandbox/template.go). The
    # sessions inherit the bound, locked environment and guard state; what
    # one of them does stays in its own copy. Anything else ends the
    # template (rwarden then starts sessions cold).
    if (@BIND@) local({
        req <- next_request()
        if (is.null(req) || req$type != T_BIND) quit(save = "no", status = 3L, runLast = FALSE)
        body <- rawToChar(req$body)
        Encoding(body) <- "UTF-8"
        err <- tryCatch(bind(body), error = function(e) conditionMessage(e))
        send(R_BOUND, c(req$nonce, str_field(err)))
        if (nzchar(err)) quit(save = "no", status = 3L, runLast = FALSE)
    }, envir = new.env(parent = .rwarden))
    rwarden_freeze_sym <- getNativeSymbolInfo("rwarden_template_freeze", rwarden_fork)
    # The template enters the harness's serve loop itself and forks at its
    # first read of a request: a session process starts there, with the
    # loop's frames and restarts already set up by the template, and only
    # takes its seed, says it is ready and reads its first request. The
    # harness's connections to fds 3 and 4 stay open: in a session process
    # the library has re-pointed them at the session's own pipes.
    rwarden_read <- .rwarden$next_request
    .rwarden$next_request <- function() {
        # Once, in the template, at the fork point (the serve loop's frames
        # exist now): every reference count the template can reach set to
        # R's maximum ("not mutable"), so that sessions do not write them,
        # copying a page of the template for each (rwarden_fork.c,
        # "Freezing the template's reference counts"); then its garbage
        # collected once here, not in every session.
        invisible(.Call(rwarden_freeze_sym, list(globalenv(), .Internal(getNamespaceRegistry()), .rwarden,
                                                 sys.frames(), sys.function(), environment())))
        invisible(gc(full = TRUE))
        out <- .C(rwarden_serve_sym, @CTLFD@L, 0L, integer(624L), 624L, R.version.string)
        if (!identical(out[[2L]], 1L)) quit(save = "no", status = 0L, runLast = FALSE)
        # A session process. Its own random number state, from the
        # kernel: no two sessions share one (Mersenne-Twister, Inversion,
        # Rejection: R's default kinds). The library has sent the ready
        # message (R.version.string and the pid, as send(R_READY) would):
        # every R call made here touches, and so copies, template pages.
        assign(".Random.seed", c(10403L, 624L, out[[3L]]), envir = globalenv())
        .rwarden$next_request <- rwarden_read
        rwarden_read()
    }
    .rwarden$serve(ready = FALSE)
    quit(save = "no", status = 0L, runLast = FALSE)
