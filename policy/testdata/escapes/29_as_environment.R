# escape: reach the attached base package with as.environment()
# expect: 4:1 base::as.environment
# expect: 4:1 dynamic:call
as.environment("package:base")$system("id")
