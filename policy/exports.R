# Lists, for the rwarden exports index, every object an R session can reach
# by name: all of base (the base environment), everything on the search path
# of a default session, and the exports of every other installed package.
# Trusted code: rwarden runs it with the operator's R, outside any sandbox.
#
# Output, one record a line, tab-separated:
#   R <version string>
#   L <library directory>
#   S <package>                       (default search order, first = searched first)
#   P <package>                       (a package follows; its objects come next)
#   F <name> / V <name>               (a function / any other object)
#   E <package> <message>             (the package could not be loaded)
# Names containing a tab, CR or newline are left out: no policy can name
# them, so they stay denied.
local({
  out <- function(...) cat(paste(..., sep = "\t"), "\n", sep = "")
  clean <- function(x) gsub("[\t\r\n]", " ", x)
  ok <- function(n) !grepl("[\t\r\n]", n)
  emit <- function(pkg, names, isfun) {
    out("P", pkg)
    keep <- ok(names)
    for (i in which(keep)) out(if (isfun[i]) "F" else "V", names[i])
  }
  out("R", clean(R.version$version.string))
  for (l in .libPaths()) out("L", clean(l))
  attached <- sub("^package:", "", grep("^package:", search(), value = TRUE))
  for (p in attached) out("S", p)
  for (p in attached) {
    env <- if (p == "base") baseenv() else as.environment(paste0("package:", p))
    n <- ls(env, all.names = TRUE, sorted = TRUE)
    f <- vapply(n, function(x) exists(x, envir = env, mode = "function", inherits = FALSE), TRUE)
    emit(p, n, f)
  }
  others <- setdiff(sort(unique(rownames(installed.packages()))), attached)
  for (p in others) {
    ns <- tryCatch(suppressMessages(suppressWarnings(loadNamespace(p))),
                   error = function(e) e)
    if (inherits(ns, "error")) {
      out("E", p, clean(conditionMessage(ns)))
      next
    }
    n <- sort(getNamespaceExports(ns))
    f <- vapply(n, function(x) {
      v <- tryCatch(getExportedValue(ns, x), error = function(e) NULL)
      is.function(v)
    }, TRUE)
    emit(p, n, f)
  }
})
