package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// ErrTrailDiverged means the store's records under this node's name are
// not the beginning of this node's local trail: the trail was started
// afresh under a name the store already has, or another node used the
// name. Shipping would mix two chains under one name (the store keeps the
// first record of each seq), so the node ships nothing more.
var ErrTrailDiverged = errors.New("the store's audit trail of this node name is not this node's")

// errFirstFound stops reading the local trail at its first record.
var errFirstFound = errors.New("found")

// checkContinues checks, before shipping after the store's newest record
// seq of this node, that the local trail continues it: the local record
// seq is the stored line byte for byte, or (the local file holding it
// archived away) the local record seq+1 links to it by prev_hash. The
// caller holds s.mu, with s.conn open and claimed.
func (s *Shipper) checkContinues(ctx context.Context, seq uint64) error {
	qctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	var stored []byte
	if err := s.conn.QueryRow(qctx, `SELECT line FROM rwarden_audit WHERE node = $1 AND seq = $2`, s.node, int64(seq)).Scan(&stored); err != nil {
		return fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	var first uint64
	var line []byte
	err := s.src.After(seq-1, func(q uint64, l []byte) error {
		first, line = q, bytes.Clone(l)
		return errFirstFound
	})
	if err != nil && !errors.Is(err, errFirstFound) {
		return fmt.Errorf("reading the local audit trail: %w", err)
	}
	diverged := func(why string, args ...any) error {
		return fmt.Errorf("%w: the store holds node %q's records up to seq %d, but %s; "+
			"this node ships nothing more (its local trail stays complete): give it a cluster.node of its own and restart it",
			ErrTrailDiverged, s.node, seq, fmt.Sprintf(why, args...))
	}
	switch {
	case first == 0:
		return diverged("this node's local trail ends at seq %d (started afresh under a name the store already has, or another node used the name)", s.src.HeadSeq())
	case first == seq:
		if !bytes.Equal(line, stored) {
			return diverged("this node's record %d differs from it (another node used the name, or this node's trail was started afresh)", seq)
		}
	case first == seq+1:
		var st, next struct {
			Hash     string `json:"hash"`
			PrevHash string `json:"prev_hash"`
		}
		if json.Unmarshal(stored, &st) != nil || json.Unmarshal(line, &next) != nil || st.Hash == "" || next.PrevHash != st.Hash {
			return diverged("this node's record %d does not follow it (prev_hash)", seq+1)
		}
	default:
		// Local records seq+1 .. first-1 are gone unshipped (deleted
		// before shipping): nothing to compare; the store's chain will
		// show the gap to `rwarden audit verify --store`.
		s.log.Warn("local audit records were removed before they were shipped; the store's chain will have a gap",
			"shipped_seq", seq, "first_local_seq", first)
	}
	return nil
}
