package audit

import "slices"

// An evaluation is recorded in two phases: an eval_start record with its
// code before the worker sees it, and an eval record with the outcome
// after, both carrying the same detail.eval_id. An eval_start whose outcome
// never appears in the trail is an evaluation that was interrupted (rwarden
// was killed, or the host crashed, while it ran) or, when the trail is read
// while rwarden runs, one that is still running.

// evalPairs pairs eval_start records with their outcomes while a trail is
// read in chain order.
type evalPairs struct {
	open map[string]uint64 // eval_id -> seq of its eval_start
}

func (p *evalPairs) add(r *Record) {
	id := r.Detail[DetailEvalID]
	if id == "" {
		return
	}
	switch r.Event {
	case EventEvalStart:
		if p.open == nil {
			p.open = map[string]uint64{}
		}
		p.open[id] = r.Seq
	case EventEval:
		delete(p.open, id)
	}
}

// pending returns the seqs of eval_start records without an outcome, in
// increasing order.
func (p *evalPairs) pending() []uint64 {
	out := make([]uint64, 0, len(p.open))
	for _, seq := range p.open {
		out = append(out, seq)
	}
	slices.Sort(out)
	return out
}

// Interrupted returns the seqs of the eval_start records of files that have
// no outcome record: evaluations that were interrupted (or are still
// running). Lines that are not records are skipped; Verify reports them.
func Interrupted(files []string) ([]uint64, error) {
	var p evalPairs
	err := ReadFiles(files, func(e Entry) error {
		if e.Err == nil {
			p.add(e.Rec)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p.pending(), nil
}
