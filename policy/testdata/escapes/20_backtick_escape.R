# escape: a backtick name spelled with an escape sequence is still system
# expect: 3:1 base::system
`\x73ystem`("id")
