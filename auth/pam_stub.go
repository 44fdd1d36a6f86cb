//go:build !pam

package auth

import (
	"context"
	"errors"
)

// PAMAvailable reports whether this binary was built with PAM (-tags pam).
const PAMAvailable = false

// errNoPAM: PAM needs cgo and libpam; this binary was built without them.
var errNoPAM = errors.New("pam: this rwarden was built without PAM support (build with -tags pam, needs libpam0g-dev)")

// PAM is unavailable in this build.
type PAM struct{}

// NewPAM fails: this build has no PAM.
func NewPAM(cfg PAMConfig) (*PAM, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return nil, errNoPAM
}

// Authenticate fails: this build has no PAM.
func (p *PAM) Authenticate(context.Context, string, []byte) ([]string, error) { return nil, errNoPAM }
