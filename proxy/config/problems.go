package config

// Problems collects problems found in a decoded configuration by checks
// that run after decoding (see Check). Each problem is located at the line
// of its key path in the file, or of its nearest ancestor that has one.
type Problems struct {
	d *strictDecoder
}

// NewProblems starts a list of problems of c, for checks run outside Load
// (on the embedded defaults, say).
func NewProblems(c *Config) *Problems {
	lines := c.lines
	if lines == nil {
		lines = map[string]int{}
	}
	return &Problems{d: &strictDecoder{file: c.File, lines: lines}}
}

// Addf records a problem at path ("limits.roles.restricted", "listeners[0].tls.cert").
func (p *Problems) Addf(path, format string, args ...any) {
	p.d.addf(p.d.lineOf(path), path, format, args...)
}

// Err returns every problem recorded as an *Error, or nil.
func (p *Problems) Err() error { return p.d.err() }
