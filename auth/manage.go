package auth

import (
	"errors"
	"fmt"
	"path/filepath"
)

// Errors from the file-management functions, for the CLI's messages.
var (
	ErrUserExists   = errors.New("user already exists")
	ErrUnknownUser  = errors.New("no such user")
	ErrInvalidName  = fmt.Errorf("invalid user name (allowed: %s)", userNameRE)
	errEmptyPasswd  = errors.New("empty password")
	errLongPassword = fmt.Errorf("password longer than %d bytes", MaxPasswordLen)
)

// checkNewCredentials validates a name and password before any work.
func checkNewCredentials(user string, password []byte) error {
	if !ValidUserName(user) {
		return ErrInvalidName
	}
	if len(password) == 0 {
		return errEmptyPasswd
	}
	if len(password) > MaxPasswordLen {
		return errLongPassword
	}
	return nil
}

// editUsersFile applies edit to the users file at path under the directory
// lock and writes the result atomically. A missing file is an error unless
// create is set, in which case edit starts from an empty file.
func editUsersFile(path string, create bool, edit func(*usersFile) error) error {
	dir, err := lockDir(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("editing users file %s: %w", path, err)
	}
	defer dir.unlock()
	f, err := readUsersFile(path)
	switch {
	case err == nil:
	case create && errIsNotExist(err):
		f = &usersFile{index: make(map[string]int)}
	default:
		return fmt.Errorf("editing users file: %w", err)
	}
	if err := edit(f); err != nil {
		return err
	}
	if err := writeFileAtomic(dir, path, f.bytes()); err != nil {
		return fmt.Errorf("editing users file: %w", err)
	}
	return nil
}

// newHash hashes password and returns it parsed, ready for the file.
func newHash(password []byte, p Params) (phcHash, error) {
	s, err := HashPassword(password, p)
	if err != nil {
		return phcHash{}, err
	}
	return parsePHC(s)
}

// AddUser adds user with password to the users file at path, creating the
// file (mode 0600) if it does not exist. It fails with ErrUserExists if the
// user is already there.
func AddUser(path, user string, password []byte, p Params) error {
	if err := checkNewCredentials(user, password); err != nil {
		return fmt.Errorf("adding user: %w", err)
	}
	h, err := newHash(password, p)
	if err != nil {
		return fmt.Errorf("adding user %q: %w", user, err)
	}
	return editUsersFile(path, true, func(f *usersFile) error {
		if _, ok := f.index[user]; ok {
			return fmt.Errorf("adding user %q: %w", user, ErrUserExists)
		}
		f.set(user, h)
		return nil
	})
}

// SetPassword replaces the password of an existing user (ErrUnknownUser if
// there is none).
func SetPassword(path, user string, password []byte, p Params) error {
	if err := checkNewCredentials(user, password); err != nil {
		return fmt.Errorf("setting password: %w", err)
	}
	h, err := newHash(password, p)
	if err != nil {
		return fmt.Errorf("setting password of %q: %w", user, err)
	}
	return editUsersFile(path, false, func(f *usersFile) error {
		if _, ok := f.index[user]; !ok {
			return fmt.Errorf("setting password of %q: %w", user, ErrUnknownUser)
		}
		f.set(user, h)
		return nil
	})
}

// DeleteUser removes user from the users file (ErrUnknownUser if absent).
// Comments and other users stay as they were.
func DeleteUser(path, user string) error {
	if !ValidUserName(user) {
		return fmt.Errorf("deleting user: %w", ErrInvalidName)
	}
	return editUsersFile(path, false, func(f *usersFile) error {
		if !f.remove(user) {
			return fmt.Errorf("deleting user %q: %w", user, ErrUnknownUser)
		}
		return nil
	})
}

// ListUsers returns the sorted user names in the users file at path.
func ListUsers(path string) ([]string, error) {
	f, err := readUsersFile(path)
	if err != nil {
		return nil, fmt.Errorf("listing users: %w", err)
	}
	return f.users(), nil
}
