// Package units parses and formats byte sizes for the configuration and the
// command line ("512MiB", "1GiB", "64KiB", "1000000"). It is shared by the
// transport layer (configuration) and the CLI so both read sizes alike.
package units

import (
	"fmt"
	"strconv"
	"strings"
)

// Longest suffixes first, so that "KiB" is not read as "B".
var suffixes = []struct {
	s string
	m int64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"b", 1},
}

// ParseBytes parses a non-negative whole number of bytes with an optional
// unit, case-insensitive: KiB, MiB, GiB, TiB (powers of 1024), KB, MB, GB,
// TB (powers of 1000) or B. Fractions and bare K/M/G are refused: a size
// limit should not depend on guessing what "1.5G" means.
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(s)
	lower := strings.ToLower(t)
	mult := int64(1)
	for _, u := range suffixes {
		if strings.HasSuffix(lower, u.s) {
			mult = u.m
			t = strings.TrimSpace(t[:len(t)-len(u.s)])
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid size %q: use a whole number of bytes or a unit, such as 64KiB, 512MiB or 1GiB", s)
	}
	if n > (1<<63-1)/mult {
		return 0, fmt.Errorf("invalid size %q: too large", s)
	}
	return n * mult, nil
}

// FormatBytes renders n with the largest binary unit that divides it.
func FormatBytes(n int64) string {
	for _, u := range []struct {
		s string
		m int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.m == 0 {
			return strconv.FormatInt(n/u.m, 10) + u.s
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}
