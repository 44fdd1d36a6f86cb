package store

import (
	"context"
	"fmt"
)

// AuditLines calls fn with every shipped audit line of node (all nodes when
// node is ""), ordered by node and seq, for `rwarden audit query --store`
// and `rwarden audit verify --store`. The lines are what the nodes wrote;
// callers parse and check them with the audit package.
func AuditLines(ctx context.Context, dsn, node string, fn func(node string, line []byte) error) error {
	conn, err := connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT node, line FROM rwarden_audit WHERE $1 = '' OR node = $1 ORDER BY node, seq`, node)
	if err != nil {
		return fmt.Errorf("reading shipped audit records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var n, line string
		if err := rows.Scan(&n, &line); err != nil {
			return fmt.Errorf("reading shipped audit records: %w", err)
		}
		if err := fn(n, []byte(line)); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading shipped audit records: %w", err)
	}
	return nil
}
