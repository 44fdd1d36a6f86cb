package audit

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every record a Log writes names the node of its Config (unless the
// record names one itself), verify lists the nodes of a chain, and a query
// selects one node's records.
func TestNodeOnEveryRecord(t *testing.T) {
	file := filepath.Join(t.TempDir(), "audit.jsonl")
	l := openLog(t, Config{File: file, Node: "node-b"})
	ctx := context.Background()
	for _, r := range []*Record{
		{Event: EventServerStart},
		{Event: EventAuth, User: "alice", Status: StatusSuccess},
		{Event: EventEval, User: "alice", Decision: DecisionAllowed},
		{Event: EventAuth, User: "bob", Status: StatusSuccess, Node: "node-x"},
	} {
		require.NoError(t, l.Write(ctx, r))
	}
	require.NoError(t, l.Close())

	var nodes []string
	_, err := Query([]string{file}, Filter{}, func(r *Record) error {
		nodes = append(nodes, r.Node)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []string{"node-b", "node-b", "node-b", "node-x"}, nodes)

	rep := requireIntact(t, file)
	assert.Equal(t, []string{"node-b", "node-x"}, rep.Nodes)

	tests := []struct {
		node string
		want int
	}{{"node-b", 3}, {"node-x", 1}, {"node-c", 0}, {"", 4}}
	for _, tc := range tests {
		n := 0
		_, err := Query([]string{file}, Filter{Node: tc.node}, func(*Record) error { n++; return nil })
		require.NoError(t, err)
		assert.Equal(t, tc.want, n, "node %q", tc.node)
	}
}

// The node field is part of the hash: changing it breaks the chain.
func TestNodeIsHashed(t *testing.T) {
	r := fullRecord()
	line := seal(nil, r)
	parsed, err := ParseRecord(line)
	require.NoError(t, err)
	require.NoError(t, parsed.CheckHash())
	parsed.Node = "node-2"
	assert.Error(t, parsed.CheckHash())
}
