# escape: fetch an exported object by name
# expect: 5:1 base::getExportedValue
# expect: 5:1 dynamic:call
# expect: 5:26 base::system
getExportedValue("base", "system")("id")
