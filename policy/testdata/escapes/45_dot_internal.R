# escape: call an internal function directly
# expect: 4:1 base::.Internal
# expect: 4:11 base::Sys.getenv
.Internal(Sys.getenv(character(), ""))
