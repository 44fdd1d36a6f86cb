package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSetCode(t *testing.T) {
	code := []byte("héllo <- 1; system('id')")
	sum := sha256.Sum256(code)
	tests := []struct {
		mode string
		want string
	}{
		{"", string(code)},
		{CodeFull, string(code)},
		{"truncated:100", string(code)},
		{"truncated:3", "hé"}, // 'é' is bytes 2-3: kept whole
		{"truncated:2", "h"},  // cutting at byte 2 would split 'é'
		{"truncated:0", ""},
		{CodeHashOnly, ""},
		{"bogus", ""}, // unknown mode discloses least
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			var r Record
			r.SetCode(code, tt.mode)
			assert.Equal(t, tt.want, r.Code)
			assert.Equal(t, hex.EncodeToString(sum[:]), r.CodeSHA256)
			assert.Equal(t, int64(len(code)), r.CodeBytes)
		})
	}
}

func TestValidateCodeMode(t *testing.T) {
	for _, ok := range []string{"", "full", "hash_only", "truncated:0", "truncated:4096"} {
		assert.NoError(t, ValidateCodeMode(ok), ok)
	}
	for _, bad := range []string{"truncated:", "truncated:-1", "truncated:x", "Full", "hash"} {
		assert.Error(t, ValidateCodeMode(bad), bad)
	}
}

func TestRecordValidate(t *testing.T) {
	tests := []struct {
		name string
		rec  Record
		ok   bool
	}{
		{"auth", Record{Event: EventAuth, Status: StatusFailure}, true},
		{"eval with decision", Record{Event: EventEval, Decision: DecisionTimeout}, true},
		{"eval without decision", Record{Event: EventEval}, false},
		{"unknown event", Record{Event: "evaluation"}, false},
		{"unknown decision", Record{Event: EventEval, Decision: "maybe"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.rec.validate()
			if tt.ok {
				require.NoError(t, err)
			} else {
				require.Error(t, err)
			}
		})
	}
}
