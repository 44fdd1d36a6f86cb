package audit

import (
	"errors"
	"fmt"
	"slices"
)

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// ExpectLast, if set, is the hash the chain must end with (a head logged
	// at shutdown or by Log.Head). It detects records cut from the end of the
	// newest file, which the chain alone cannot.
	ExpectLast string
	// Anchors are hashes that must each appear in the chain: heads noted
	// earlier, after which more records may legitimately have been added.
	Anchors []string
	// PartialStart accepts a chain whose first record is not seq 1 with a
	// zero prev_hash, for when older rotated files were archived elsewhere.
	PartialStart bool
}

// VerifyReport is the outcome of Verify.
type VerifyReport struct {
	Files    []string // in the order verified
	Records  int      // records checked before the first break (all when OK)
	FirstSeq uint64
	LastSeq  uint64
	LastHash string
	Break    *Break // the first problem; nil when the chain is intact
	// Interrupted are the seqs of eval_start records (before any break)
	// whose outcome is not in the trail: evaluations cut by a kill or
	// crash of rwarden, or still running. They do not break the chain.
	Interrupted []uint64
	// Nodes are the node names the records carry, in the order first
	// seen: one for a node's chain; more when cluster.node was changed
	// (or the host renamed) while the chain went on.
	Nodes []string
}

// OK reports whether the chain is intact.
func (v *VerifyReport) OK() bool { return v.Break == nil }

// Break locates the first broken record.
type Break struct {
	File   string
	Line   int
	Seq    uint64 // of the record at File:Line, 0 if unparsable
	Reason string
}

func (b *Break) String() string { return fmt.Sprintf("%s:%d: %s", b.File, b.Line, b.Reason) }

// Verify checks the hash chain over files, ordered by content (SortByChain).
// It returns an error only when a file cannot be read; a broken chain is
// reported in VerifyReport.Break.
func Verify(files []string) (*VerifyReport, error) {
	return VerifyWith(files, VerifyOptions{})
}

// errStop ends the reading at the first break.
var errStop = errors.New("stop")

// VerifyWith is Verify with options.
func VerifyWith(files []string, opt VerifyOptions) (*VerifyReport, error) {
	ordered, err := SortByChain(files)
	if err != nil {
		return nil, err
	}
	rep := &VerifyReport{Files: ordered}
	if len(ordered) == 0 {
		return nil, errors.New("verify: no files")
	}
	var (
		prev, prevPrev *Record // the last two records
		prevLine       int
		prevFile       string
	)
	var evals evalPairs
	anchors := map[string]bool{}
	for _, a := range opt.Anchors {
		anchors[a] = false
	}
	broke := func(e Entry, reason string) error {
		b := &Break{File: e.File, Line: e.Line, Reason: reason}
		if e.Rec != nil {
			b.Seq = e.Rec.Seq
		}
		rep.Break = b
		return errStop
	}
	err = ReadFiles(ordered, func(e Entry) error {
		if e.Err != nil {
			if errors.Is(e.Err, ErrNotCanonical) {
				return broke(e, "record was altered: "+e.Err.Error())
			}
			return broke(e, e.Err.Error())
		}
		r := e.Rec
		if err := r.CheckHash(); err != nil {
			return broke(e, err.Error()+" (record was altered)")
		}
		boundary := ""
		if prev != nil && e.File != prevFile {
			boundary = fmt.Sprintf(" (%s ends at seq %d)", prevFile, prev.Seq)
		}
		switch {
		case prev == nil && opt.PartialStart:
			// Accept any start.
		case prev == nil && (r.Seq != 1 || r.PrevHash != ZeroHash):
			return broke(e, fmt.Sprintf("chain does not start at seq 1 with a zero prev_hash (found seq %d): records before it were deleted or files are missing (use --partial for an archived start)", r.Seq))
		case prev != nil && r.Hash == prev.Hash:
			return broke(e, fmt.Sprintf("duplicate of the record before it (seq %d): a record was replayed", r.Seq))
		case prev != nil && prevPrev != nil && r.PrevHash == prevPrev.Hash && r.Seq == prev.Seq:
			// The record before this one is not part of the chain: it was
			// inserted between two genuine records.
			rep.Break = &Break{File: prevFile, Line: prevLine, Seq: prev.Seq,
				Reason: fmt.Sprintf("record is not part of the chain (inserted): the next record, seq %d, follows the record before it", r.Seq)}
			rep.Records--
			return errStop
		case prev != nil && r.Seq != prev.Seq+1:
			return broke(e, fmt.Sprintf("seq gap: expected seq %d, found %d%s: records deleted, reordered or a file cut", prev.Seq+1, r.Seq, boundary))
		case prev != nil && r.PrevHash != prev.Hash:
			return broke(e, fmt.Sprintf("prev_hash mismatch: does not follow seq %d (%s)%s: a record was replaced or inserted", prev.Seq, short(prev.Hash), boundary))
		}
		if prev == nil {
			rep.FirstSeq = r.Seq
		}
		if _, ok := anchors[r.Hash]; ok {
			anchors[r.Hash] = true
		}
		rep.Records++
		if r.Node != "" && !slices.Contains(rep.Nodes, r.Node) {
			rep.Nodes = append(rep.Nodes, r.Node)
		}
		evals.add(r)
		prevPrev, prev = prev, r
		prevFile, prevLine = e.File, e.Line
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	if prev != nil {
		rep.LastSeq, rep.LastHash = prev.Seq, prev.Hash
	}
	rep.Interrupted = evals.pending()
	if rep.Break != nil {
		return rep, nil
	}
	last := ordered[len(ordered)-1]
	if prev != nil {
		last = prevFile
	}
	if opt.ExpectLast != "" && rep.LastHash != opt.ExpectLast {
		rep.Break = &Break{File: last, Line: prevLine, Seq: rep.LastSeq,
			Reason: fmt.Sprintf("chain ends at seq %d with hash %s, expected %s: records were cut from the end or added after the anchor",
				rep.LastSeq, short(rep.LastHash), short(opt.ExpectLast))}
		return rep, nil
	}
	for _, a := range opt.Anchors {
		if !anchors[a] {
			rep.Break = &Break{File: last, Line: prevLine, Seq: rep.LastSeq,
				Reason: fmt.Sprintf("anchor %s is not in the chain: records up to it were cut or altered", short(a))}
			return rep, nil
		}
	}
	return rep, nil
}
