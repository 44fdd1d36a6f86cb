package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/proxy/store"
)

// storeChains writes each node's shipped records, in seq order, to a file
// of its own under dir (node name + ".jsonl") so that they are verified by
// the same code as local files; it returns the nodes in order.
func storeChains(ctx context.Context, spec, dir string) ([]string, map[string]string, error) {
	dsn, err := store.ReadDSN(spec)
	if err != nil {
		return nil, nil, err
	}
	files := map[string]string{}
	var nodes []string
	var cur *os.File
	defer func() {
		if cur != nil {
			cur.Close()
		}
	}()
	err = store.AuditLines(ctx, dsn, "", func(node string, line []byte) error {
		if _, ok := files[node]; !ok {
			if cur != nil {
				if err := cur.Close(); err != nil {
					return err
				}
			}
			// Node names come from the store: use the index for the file
			// name, never the name itself.
			path := filepath.Join(dir, fmt.Sprintf("node-%d.jsonl", len(nodes)))
			f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if err != nil {
				return err
			}
			cur, files[node] = f, path
			nodes = append(nodes, node)
		}
		if _, err := cur.Write(line); err != nil {
			return err
		}
		_, err := cur.Write([]byte{'\n'})
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	if cur != nil {
		err = cur.Close()
		cur = nil
	}
	return nodes, files, err
}

// verifyStore checks every node's chain from the store and reports, per
// node, whether it is intact and where it ends: a chain that does not end
// with server_stop belongs to a node still running, or one that was killed
// or cut off from the store (its newest records not shipped). It returns
// whether all chains are intact.
func verifyStore(ctx context.Context, out io.Writer, spec string, opt audit.VerifyOptions) (bool, error) {
	dir, err := os.MkdirTemp("", "rwarden-verify-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(dir)
	nodes, files, err := storeChains(ctx, spec, dir)
	if err != nil {
		return false, err
	}
	if len(nodes) == 0 {
		return false, fmt.Errorf("the store holds no audit records")
	}
	ok := true
	for _, n := range nodes {
		rep, err := audit.VerifyWith([]string{files[n]}, opt)
		if err != nil {
			return false, err
		}
		if !rep.OK() {
			ok = false
			fmt.Fprintf(out, "node %s: BROKEN after %d good records: line %d (seq %d): %s\n", n, rep.Records, rep.Break.Line, rep.Break.Seq, rep.Break.Reason)
			continue
		}
		fmt.Fprintf(out, "node %s: OK: %d records, seq %d..%d; head %s\n", n, rep.Records, rep.FirstSeq, rep.LastSeq, rep.LastHash)
		var last *audit.Record
		_ = audit.ReadFiles([]string{files[n]}, func(e audit.Entry) error {
			if e.Rec != nil {
				last = e.Rec
			}
			return nil
		})
		if last != nil && last.Event != audit.EventServerStop {
			fmt.Fprintf(out, "node %s: chain stops at seq %d (%s, %s) without server_stop: the node is running, was killed, or has not shipped since (%s ago)\n",
				n, last.Seq, last.Event, last.Time.UTC().Format(time.RFC3339), time.Since(last.Time).Round(time.Second))
		}
		printInterrupted(out, rep.Interrupted)
	}
	return ok, nil
}

// queryStore prints the shipped records matching f, each with its node.
func queryStore(ctx context.Context, out io.Writer, spec string, f audit.Filter, asJSON bool) (int, error) {
	dsn, err := store.ReadDSN(spec)
	if err != nil {
		return 0, err
	}
	skipped := 0
	err = store.AuditLines(ctx, dsn, "", func(node string, line []byte) error {
		r, err := audit.ParseRecord(line)
		if err != nil {
			skipped++
			return nil
		}
		if !f.Match(r) {
			return nil
		}
		if asJSON {
			_, err = fmt.Fprintf(out, "{\"node\":%q,\"record\":%s}\n", node, line)
			return err
		}
		_, err = fmt.Fprintf(out, "%-12s %s\n", node, audit.FormatLine(r))
		return err
	})
	return skipped, err
}
