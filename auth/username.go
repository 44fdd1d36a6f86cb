package auth

import "regexp"

// MaxUserNameLen is the longest accepted user name, in bytes.
const MaxUserNameLen = 64

// userNameRE is the whole user-name character set: a lowercase letter or
// underscore, then up to 63 lowercase letters, digits, '_', '.' or '-'.
// Names end up in file names (per-user policy files), Casbin subjects, audit
// records and log lines, so the set is deliberately small: no '/', no
// whitespace, no ':' (the users-file separator), no upper case (so that
// "Alice" and "alice" cannot be two users), and no leading '.' or '-'.
var userNameRE = regexp.MustCompile(UserNamePattern)

// UserNamePattern is the regular expression every user name matches, for
// help texts and documentation.
const UserNamePattern = `^[a-z_][a-z0-9_.-]{0,63}$`

// ValidUserName reports whether name is an acceptable rwarden user name:
// ^[a-z_][a-z0-9_.-]{0,63}$.
func ValidUserName(name string) bool {
	return len(name) <= MaxUserNameLen && userNameRE.MatchString(name)
}
