# escape: na.action names a base function (model.frame evaluates it in stats)
# expect: 3:58 base::R.home
model.frame(y ~ x, data.frame(x = 1, y = 1), na.action = "R.home")
