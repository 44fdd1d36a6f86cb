package policy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The shipped role:analyst grants DBI and RPostgreSQL (network egress,
// issue 17); restricted (guest) does not; the functions that take code or
// load any driver are left out.
func TestShippedDatabaseDecisions(t *testing.T) {
	s := shippedEngine(t).snap()
	for _, tc := range []struct {
		obj          string
		guest, alice bool
	}{
		{"pkg:DBI", false, true},
		{"pkg:RPostgreSQL", false, true},
		{"DBI::dbConnect", false, true},
		{"DBI::dbGetQuery", false, true},
		{"DBI::dbDisconnect", false, true},
		{"RPostgreSQL::PostgreSQL", false, true},
		{"RPostgreSQL::dbConnect", false, true},
		{"RPostgreSQL::dbGetQuery", false, true},
		{"DBI::dbWithTransaction", false, false},
		{"DBI::dbDriver", false, false},
		{"RPostgreSQL::dbApply", false, false},
		{"RPostgreSQL::postgresqlpqExec", false, false},
	} {
		t.Run(tc.obj, func(t *testing.T) {
			for user, allowed := range map[string]bool{"guest": tc.guest, "alice": tc.alice} {
				d, err := s.decide(user, tc.obj, ActFor(tc.obj))
				require.NoError(t, err)
				assert.Equal(t, allowed, d.allowed, "%s for %s (%s)", tc.obj, user, d.reason)
			}
		})
	}
}
