package httpapi

import (
	"fmt"
	"io"
)

// maxCSVHeaderBytes bounds a CSV header line: the column names come back in
// the answer (and pass through rwarden several times on the way).
const maxCSVHeaderBytes = 1 << 20

// csvHeaderReader passes a CSV body on and fails once its header line has
// more than maxColumns fields or maxCSVHeaderBytes bytes: R's reader would
// build a vector per column (millions of them from a line of commas)
// before anything could refuse the table. Its state is one flag and two
// counts; separators inside quotes do not count.
type csvHeaderReader struct {
	r       io.Reader
	inQuote bool
	fields  int
	bytes   int
	done    bool
}

func (h *csvHeaderReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	for i := 0; i < n && !h.done; i++ {
		if h.bytes++; h.bytes > maxCSVHeaderBytes {
			return 0, fmt.Errorf("%w: a header line longer than %d bytes", errTable, maxCSVHeaderBytes)
		}
		switch c := p[i]; {
		case c == '"':
			h.inQuote = !h.inQuote
		case h.inQuote:
		case c == ',':
			h.fields++
			if h.fields >= maxColumns {
				return 0, fmt.Errorf("%w: more than %d columns", errTable, maxColumns)
			}
		case c == '\n':
			h.done = true
		}
	}
	return n, err
}
