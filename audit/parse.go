package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// MaxRecordBytes bounds one record line. The writer refuses larger records
// and readers refuse longer lines before buffering them, so a hostile or
// corrupt file cannot make a reader allocate without limit.
const MaxRecordBytes = 16 << 20

// ErrNotCanonical means a line is valid JSON for a record but not its
// canonical encoding: a character was changed, a key renamed, whitespace or
// an escape added, a field reordered. The writer only writes canonical lines.
var ErrNotCanonical = errors.New("not the canonical encoding of a record")

// ParseRecord decodes one line of an audit file (a trailing newline is
// allowed) and checks that it is exactly the canonical encoding of the
// record it decodes to. It does not check the hash; see CheckHash.
func ParseRecord(line []byte) (*Record, error) {
	line = bytes.TrimSuffix(line, []byte{'\n'})
	if len(line) > MaxRecordBytes {
		return nil, fmt.Errorf("record of %d bytes exceeds the limit of %d", len(line), MaxRecordBytes)
	}
	var r Record
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("unparsable record: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("unparsable record: data after the JSON object")
	}
	if !validHash(r.Hash) || !validHash(r.PrevHash) {
		return nil, fmt.Errorf("%w: hash and prev_hash must be 64 lowercase hex digits", ErrNotCanonical)
	}
	if !bytes.Equal(Encode(&r), line) {
		return nil, ErrNotCanonical
	}
	return &r, nil
}

// CheckHash reports whether r.Hash is the hash of r's other fields.
func (r *Record) CheckHash() error {
	if want := ComputeHash(r); want != r.Hash {
		return fmt.Errorf("bad hash: record says %s, content hashes to %s", short(r.Hash), short(want))
	}
	return nil
}

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// short abbreviates a hash for messages.
func short(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}
