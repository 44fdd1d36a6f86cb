package sandbox

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConsoleSink(t *testing.T) {
	for _, tc := range []struct {
		name      string
		limit     int64
		writes    []string
		want      string
		total     int64
		truncated bool
	}{
		{"fits", 10, []string{"abc", "def"}, "abcdef", 6, false},
		{"exact", 6, []string{"abc", "def"}, "abcdef", 6, false},
		{"cut", 4, []string{"abc", "def"}, "abcd", 6, true},
		{"cut mid rune", 4, []string{"abc", "é!"}, "abc", 6, true},
		{"nothing after cut", 4, []string{"abcdef", "g"}, "abcd", 7, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var streamed []byte
			s := &consoleSink{limit: tc.limit, stream: func(b []byte) { streamed = append(streamed, b...) }}
			for _, w := range tc.writes {
				s.write([]byte(w))
			}
			assert.Equal(t, tc.want, string(s.buf))
			assert.Equal(t, tc.want, string(streamed), "stream sees exactly what is kept")
			assert.Equal(t, tc.total, s.total)
			assert.Equal(t, tc.truncated, s.truncated)
		})
	}
}

func TestTrimToRuneBoundary(t *testing.T) {
	euro := "€" // 3 bytes
	assert.Equal(t, "a", string(trimToRuneBoundary([]byte("a"+euro[:1]))))
	assert.Equal(t, "a", string(trimToRuneBoundary([]byte("a"+euro[:2]))))
	assert.Equal(t, "a"+euro, string(trimToRuneBoundary([]byte("a"+euro))))
	assert.Equal(t, "", string(trimToRuneBoundary(nil)))
}

func TestUIDPool(t *testing.T) {
	p := newUIDPool(100, 102)
	seen := map[int]bool{}
	for i := 0; i < 3; i++ {
		uid, err := p.get()
		require.NoError(t, err)
		assert.False(t, seen[uid], "uid handed out twice")
		seen[uid] = true
	}
	_, err := p.get()
	assert.ErrorIs(t, err, errNoUID)
	p.put(101)
	uid, err := p.get()
	require.NoError(t, err)
	assert.Equal(t, 101, uid)
}

func TestLimits(t *testing.T) {
	d := DefaultLimits()
	require.NoError(t, d.Validate())
	small := Limits{Wall: time.Second, Memory: 512 << 20}
	c := d.Capped(small)
	assert.Equal(t, time.Second, c.Wall)
	assert.Equal(t, int64(512<<20), c.Memory)
	assert.Equal(t, d.CPU, c.CPU, "zero ceiling leaves the field alone")
	bad := d
	bad.Memory = 1 << 20
	assert.Error(t, bad.Validate())
	bad = d
	bad.Wall = 0
	assert.Error(t, bad.Validate())
}

func TestBindingRequestBody(t *testing.T) {
	b := Binding{Allowlist: &Allowlist{Functions: []string{"base::mean", "base::[<-"}, Packages: []string{"stats"}}}
	bp, err := b.prepare()
	require.NoError(t, err)
	assert.Equal(t, "mode\tallowlist\nF\tbase::mean\nF\tbase::[<-\nP\tstats\n", string(bp.body))
	assert.Len(t, bp.prof.Allow, 64, "the profile names the allowlist by its SHA-256")
	again, err := b.prepare()
	require.NoError(t, err)
	assert.Equal(t, bp.prof, again.prof)
	bp, err = Binding{}.prepare()
	require.NoError(t, err)
	assert.Equal(t, "mode\tunrestricted\n", string(bp.body))
	assert.Empty(t, bp.prof.Allow)
	for _, bad := range []string{"mean", "::mean", "base::", "base::a\nb"} {
		_, err := Binding{Allowlist: &Allowlist{Functions: []string{bad}}}.prepare()
		assert.Error(t, err, bad)
	}
}

func TestSeccompFilterBuilds(t *testing.T) {
	f, err := buildSeccompFilter()
	require.NoError(t, err)
	f.Release()
}
