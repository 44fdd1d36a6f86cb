# escape: an error handler option that runs code later
# expect: 4:1 base::options
# expect: 4:28 base::system
options(error = function() system("id"))
