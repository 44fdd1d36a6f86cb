package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
	"time"
	"unicode/utf8"
)

// TimeFormat is the canonical time format: RFC 3339, UTC, always nine
// fractional digits, so that the text of a time has exactly one form.
const TimeFormat = "2006-01-02T15:04:05.000000000Z"

// The canonical encoding (documented in docs/audit.md) is what the hash is
// computed over, and what is written to the file. It is a JSON object with:
//   - the fields in the order of the Record struct, names as in its tags;
//   - empty fields omitted, except time, seq, event and prev_hash (hash is
//     appended last, after hashing);
//   - no whitespace outside strings;
//   - strings as UTF-8, escaping only '"' as \", '\' as \\, and bytes below
//     0x20 as \n, \r, \t or \u00XX (lowercase hex); invalid UTF-8 becomes
//     U+FFFD; nothing else is escaped;
//   - integers in decimal without leading zeros or a plus sign;
//   - detail keys in increasing byte order.
// A record's hash is the lowercase hex SHA-256 of its canonical encoding
// without the hash field, i.e. of the bytes {...,"prev_hash":"..."}. The line
// in the file is those bytes with the closing brace replaced by
// ,"hash":"<hash>"} and a newline.
//
// encoding/json is not used to write records because its output is not
// specified precisely enough to be a hash input (HTML escaping, U+2028).

// encodeUnsealed appends the canonical encoding of r without its hash field.
func encodeUnsealed(b []byte, r *Record) []byte {
	b = append(b, `{"time":"`...)
	b = r.Time.UTC().AppendFormat(b, TimeFormat)
	b = append(b, `","seq":`...)
	b = strconv.AppendUint(b, r.Seq, 10)
	b = append(b, `,"event":`...)
	b = appendString(b, r.Event)
	b = appendStringField(b, "node", r.Node)
	b = appendStringField(b, "session", r.Session)
	b = appendStringField(b, "user", r.User)
	b = appendStringField(b, "auth_method", r.AuthMethod)
	b = appendStringField(b, "remote", r.Remote)
	b = appendStringField(b, "listener", r.Listener)
	b = appendStringField(b, "protocol", r.Protocol)
	b = appendStringField(b, "code_sha256", r.CodeSHA256)
	b = appendIntField(b, "code_bytes", r.CodeBytes)
	b = appendStringField(b, "code", r.Code)
	b = appendStringField(b, "decision", r.Decision)
	if len(r.Violations) > 0 {
		b = append(b, `,"violations":[`...)
		for i, v := range r.Violations {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"object":`...)
			b = appendString(b, v.Object)
			b = append(b, `,"act":`...)
			b = appendString(b, v.Act)
			b = appendIntField(b, "line", int64(v.Line))
			b = appendIntField(b, "col", int64(v.Col))
			b = appendStringField(b, "rule", v.Rule)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if !r.Limits.empty() {
		b = append(b, `,"limits":{`...)
		start := len(b)
		b = appendIntField(b, "wall_ns", int64(r.Limits.Wall))
		b = appendIntField(b, "cpu_ns", int64(r.Limits.CPU))
		b = appendIntField(b, "memory_bytes", r.Limits.Memory)
		b = appendIntField(b, "output_bytes", r.Limits.Output)
		// Each field was written with a leading comma; the first one must not.
		b = append(b[:start], b[start+1:]...)
		b = append(b, '}')
	}
	b = appendStringField(b, "status", r.Status)
	b = appendIntField(b, "duration_ns", int64(r.Duration))
	b = appendIntField(b, "output_bytes", r.OutputBytes)
	b = appendStringField(b, "error", r.Error)
	b = appendStringField(b, "worker", r.Worker)
	b = appendIntField(b, "policy_version", r.PolicyVersion)
	if len(r.Detail) > 0 {
		keys := make([]string, 0, len(r.Detail))
		for k := range r.Detail {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, `,"detail":{`...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, r.Detail[k])
		}
		b = append(b, '}')
	}
	b = append(b, `,"prev_hash":`...)
	b = appendString(b, r.PrevHash)
	return append(b, '}')
}

// hashOf returns the lowercase hex SHA-256 of an unsealed encoding.
func hashOf(unsealed []byte) string {
	sum := sha256.Sum256(unsealed)
	return hex.EncodeToString(sum[:])
}

// seal computes r.Hash from r's other fields and returns the line to write,
// newline included.
func seal(b []byte, r *Record) []byte {
	start := len(b)
	b = encodeUnsealed(b, r)
	r.Hash = hashOf(b[start:])
	return appendHash(b, r.Hash)
}

// appendHash turns an unsealed encoding ending in '}' into a sealed line.
func appendHash(b []byte, hash string) []byte {
	b = append(b[:len(b)-1], `,"hash":`...)
	b = appendString(b, hash)
	return append(b, '}', '\n')
}

// Encode returns the canonical line of r as it stands (its Hash field is
// written as is, not recomputed), without the trailing newline.
func Encode(r *Record) []byte {
	b := appendHash(encodeUnsealed(nil, r), r.Hash)
	return b[:len(b)-1]
}

// ComputeHash returns the hash r should carry given its other fields.
func ComputeHash(r *Record) string {
	return hashOf(encodeUnsealed(nil, r))
}

func appendStringField(b []byte, name, v string) []byte {
	if v == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendString(b, v)
}

func appendIntField(b []byte, name string, v int64) []byte {
	if v == 0 {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return strconv.AppendInt(b, v, 10)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a canonical JSON string (see the rules above).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"':
				b = append(b, '\\', '"')
			case c == '\\':
				b = append(b, '\\', '\\')
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\ufffd"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// canonicalTime reports whether t survives the canonical encoding unchanged
// (UTC, no monotonic reading); the writer only assigns such times.
func canonicalTime(t time.Time) time.Time { return t.UTC().Round(0) }
