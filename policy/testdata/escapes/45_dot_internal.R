# escape: call an internal function directly
# expect: 5:1 base::.Internal
# expect: 5:11 base::Sys.getenv
# expect: 5:11 dynamic:call
.Internal(Sys.getenv(character(), ""))
