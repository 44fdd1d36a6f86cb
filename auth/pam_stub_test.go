//go:build !pam

package auth

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// Without the pam build tag, a PAM configuration fails (fail closed).
func TestPAMUnavailableWithoutTag(t *testing.T) {
	assert.False(t, PAMAvailable)
	_, err := NewPAM(PAMConfig{Service: "login", GroupRoles: map[string][]string{"users": {"role:analyst"}}})
	assert.ErrorContains(t, err, "built without PAM")
	_, err = NewPAM(PAMConfig{})
	assert.ErrorContains(t, err, "service name is required")
}
