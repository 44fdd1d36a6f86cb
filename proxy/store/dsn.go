package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// maxDSNBytes bounds a DSN file; a connection string is short.
const maxDSNBytes = 8 << 10

// connectTimeout bounds one connection attempt, so that a store that does
// not answer is reported unreachable instead of hanging a node or the CLI.
const connectTimeout = 5 * time.Second

// ErrUnreachable wraps every failure to reach the store.
var ErrUnreachable = errors.New("the store is unreachable")

// ReadDSN reads the connection string named by spec: "env:NAME" for an
// environment variable, else a file's path, refused when group or others
// may read or write it or when neither rwarden's user nor root owns it
// (checkDSNFile). The DSN holds a password and is never logged or put in an
// error.
func ReadDSN(spec string) (string, error) {
	var dsn string
	if name, ok := strings.CutPrefix(spec, "env:"); ok {
		v, set := os.LookupEnv(name)
		if !set {
			return "", fmt.Errorf("store DSN: environment variable %s is not set", name)
		}
		dsn = v
	} else {
		if spec == "" {
			return "", errors.New("store DSN: no file or env:NAME given")
		}
		f, err := os.Open(spec)
		if err != nil {
			return "", fmt.Errorf("store DSN: %w", err)
		}
		defer f.Close()
		fi, err := f.Stat()
		if err != nil {
			return "", fmt.Errorf("store DSN: %w", err)
		}
		if !fi.Mode().IsRegular() || fi.Size() > maxDSNBytes {
			return "", fmt.Errorf("store DSN: %s is not a regular file of at most %d bytes", spec, maxDSNBytes)
		}
		if err := checkDSNFile(spec, fi); err != nil {
			return "", err
		}
		b := make([]byte, fi.Size())
		if _, err := f.ReadAt(b, 0); err != nil && fi.Size() > 0 {
			return "", fmt.Errorf("store DSN: reading %s: %w", spec, err)
		}
		dsn = string(b)
	}
	dsn = strings.TrimSpace(dsn)
	if dsn == "" {
		return "", fmt.Errorf("store DSN from %s is empty", spec)
	}
	if _, err := pgx.ParseConfig(dsn); err != nil {
		// pgx's parse errors can quote the string; say only where it came from.
		return "", fmt.Errorf("store DSN from %s is not a valid PostgreSQL connection string", spec)
	}
	return dsn, nil
}

// connect opens one connection within connectTimeout.
func connect(ctx context.Context, dsn string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("%w: invalid DSN", ErrUnreachable)
	}
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > connectTimeout {
		cfg.ConnectTimeout = connectTimeout
	}
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	conn, err := pgx.ConnectConfig(cctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	return conn, nil
}
