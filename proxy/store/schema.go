package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// schemaVersion is the schema this build writes; Init migrates older ones.
const schemaVersion = 1

// notifyChannel is the LISTEN/NOTIFY channel of new policy versions.
const notifyChannel = "rwarden_policy"

// migrations[i] takes the schema from version i to i+1.
var migrations = []string{
	`CREATE TABLE rwarden_policy_versions (
		version    bigint PRIMARY KEY CHECK (version > 0),
		created_at timestamptz NOT NULL DEFAULT now(),
		author     text NOT NULL,
		change     text NOT NULL,
		documents  jsonb NOT NULL
	);
	CREATE TABLE rwarden_audit (
		node           text   NOT NULL,
		seq            bigint NOT NULL,
		time           timestamptz NOT NULL,
		event          text   NOT NULL,
		user_name      text   NOT NULL DEFAULT '',
		policy_version bigint NOT NULL DEFAULT 0,
		line           text   NOT NULL,
		PRIMARY KEY (node, seq)
	);
	CREATE INDEX rwarden_audit_time ON rwarden_audit (time);`,
}

// Init creates or migrates the schema, then makes version 1 from initial
// when the store holds no version yet. It is safe to run again.
func Init(ctx context.Context, dsn string, initial Bundle, author string) (int64, error) {
	if err := initial.Validate(); err != nil {
		return 0, err
	}
	conn, err := connect(ctx, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close(context.Background())
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		// One initialiser at a time: a transaction-scoped advisory lock.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(7710101)`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS rwarden_schema (version int NOT NULL)`); err != nil {
			return err
		}
		var have int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM rwarden_schema`).Scan(&have); err != nil {
			return err
		}
		if have > schemaVersion {
			return fmt.Errorf("the store's schema is version %d, newer than this rwarden's %d", have, schemaVersion)
		}
		for v := have; v < schemaVersion; v++ {
			if _, err := tx.Exec(ctx, migrations[v]); err != nil {
				return fmt.Errorf("migrating the schema to version %d: %w", v+1, err)
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM rwarden_schema`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO rwarden_schema VALUES ($1)`, schemaVersion)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("initialising the store: %w", err)
	}
	v, err := change(ctx, conn, author, "store init", func(cur Bundle, v int64) (Bundle, error) {
		if v > 0 {
			return nil, nil // already initialised: no new version
		}
		return initial, nil
	})
	if err != nil {
		return 0, fmt.Errorf("initialising the store: %w", err)
	}
	return v, nil
}
