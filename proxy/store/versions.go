package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// ErrNoVersion means the store holds no policy version: run `rwarden store
// init` first.
var ErrNoVersion = errors.New("the store holds no policy version (run rwarden store init)")

// Latest returns the newest version and its documents.
func Latest(ctx context.Context, dsn string) (int64, Bundle, error) {
	conn, err := connect(ctx, dsn)
	if err != nil {
		return 0, nil, err
	}
	defer conn.Close(context.Background())
	return latest(ctx, conn)
}

func latest(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (int64, Bundle, error) {
	var v int64
	var raw []byte
	err := q.QueryRow(ctx, `SELECT version, documents FROM rwarden_policy_versions ORDER BY version DESC LIMIT 1`).Scan(&v, &raw)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil, ErrNoVersion
	}
	if err != nil {
		return 0, nil, fmt.Errorf("reading the latest policy version: %w", err)
	}
	b, err := decodeBundle(raw)
	if err != nil {
		return 0, nil, fmt.Errorf("policy version %d: %w", v, err)
	}
	return v, b, nil
}

// decodeBundle decodes and validates documents read from the store.
func decodeBundle(raw []byte) (Bundle, error) {
	if len(raw) > maxBundleBytes*2 {
		return nil, fmt.Errorf("documents of %d bytes exceed the limit", len(raw))
	}
	var b Bundle
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, fmt.Errorf("decoding documents: %w", err)
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	return b, nil
}

// Change makes a new policy version from the latest one: edit gets a copy
// of the latest documents and returns the new ones (nil: no change). The
// version number is the latest plus one, taken under a table lock so that
// numbers never repeat or skip; every node is notified on commit. A store
// that cannot be reached refuses the change (ErrUnreachable).
func Change(ctx context.Context, dsn, author, what string, edit func(Bundle) (Bundle, error)) (int64, error) {
	conn, err := connect(ctx, dsn)
	if err != nil {
		return 0, fmt.Errorf("change refused, nothing was changed: %w", err)
	}
	defer conn.Close(context.Background())
	return change(ctx, conn, author, what, func(cur Bundle, v int64) (Bundle, error) {
		if v == 0 {
			return nil, ErrNoVersion
		}
		return edit(cur)
	})
}

func change(ctx context.Context, conn *pgx.Conn, author, what string, edit func(Bundle, int64) (Bundle, error)) (int64, error) {
	var made int64
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `LOCK TABLE rwarden_policy_versions IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		v, cur, err := latest(ctx, tx)
		if errors.Is(err, ErrNoVersion) {
			v, cur, err = 0, Bundle{}, nil
		}
		if err != nil {
			return err
		}
		next, err := edit(cur.Clone(), v)
		if err != nil || next == nil {
			made = v
			return err
		}
		if err := next.Validate(); err != nil {
			return err
		}
		raw, err := json.Marshal(next)
		if err != nil {
			return fmt.Errorf("encoding documents: %w", err)
		}
		made = v + 1
		if _, err := tx.Exec(ctx, `INSERT INTO rwarden_policy_versions (version, author, change, documents) VALUES ($1, $2, $3, $4)`,
			made, author, what, raw); err != nil {
			return fmt.Errorf("storing policy version %d: %w", made, err)
		}
		// Delivered to every listening node when the transaction commits.
		_, err = tx.Exec(ctx, `SELECT pg_notify($1, $2)`, notifyChannel, strconv.FormatInt(made, 10))
		return err
	})
	if err != nil {
		return 0, err
	}
	return made, nil
}
