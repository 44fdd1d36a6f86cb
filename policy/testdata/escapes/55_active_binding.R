# escape: an active binding runs code whenever a variable is read
# expect: 4:1 base::makeActiveBinding
# expect: 4:35 base::system
makeActiveBinding("x", function() system("id"), new.env())
