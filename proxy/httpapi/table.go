package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/rwarden/rwarden/proxy/rdata"
)

// JSON tables uploaded as data (POST /v1/sessions/{id}/data/{name}) become
// R data frames here, in Go: the client's bytes are parsed into columns,
// the columns into an rdata value, and that value is serialized by
// rwarden (never the client's bytes) and assigned through the core, which
// audits it and whose worker checks again that it is plain data. (CSV
// tables stream to the worker and are read there: data_csv.go.)

// maxColumns bounds a table's columns.
const maxColumns = 10_000

// maxCells bounds a table's cells. Parsing costs some 150 bytes of memory
// per cell, so a 32 MiB body of one-byte cells (16 million of them) would
// cost gigabytes; the bound is checked on the raw body before anything is
// parsed (tableCellsBound).
const maxCells = 1 << 20

// tableCellsBound is an upper bound of the cells in a JSON table body,
// from its separators alone: every JSON value after the first follows a
// comma (nothing nested is accepted). Commas inside strings only make the
// bound larger.
func tableCellsBound(b []byte) int {
	return bytes.Count(b, []byte{','}) + 1
}

// errTable is a body that is not a table this API accepts.
var errTable = errors.New("not a table")

// column is one parsed column: its cells as JSON-ish scalars (nil is NA).
type column struct {
	name  string
	cells []any // nil, bool, float64 or string
}

// nameRE is the data names the API accepts: syntactic R names of at most
// 64 bytes, not starting with a dot (hidden) and never a path.
var nameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9._]{0,63}$`)

var reserved = map[string]bool{"if": true, "else": true, "repeat": true, "while": true,
	"function": true, "for": true, "next": true, "break": true, "TRUE": true, "FALSE": true,
	"NULL": true, "Inf": true, "NaN": true, "NA": true, "NA_integer_": true, "NA_real_": true,
	"NA_character_": true, "NA_complex_": true, "in": true}

// validName reports whether name may name data in a session.
func validName(name string) bool { return nameRE.MatchString(name) && !reserved[name] }

// parseJSONTable reads a table as JSON: an array of row objects (what
// jsonlite writes for a data frame) or an object of column arrays. Cells
// are numbers, strings, booleans or null (NA); nothing nested.
func parseJSONTable(b []byte) ([]column, error) {
	if tableCellsBound(b) > maxCells {
		return nil, fmt.Errorf("%w: more than %d cells (commas)", errTable, maxCells)
	}
	b = bytes.TrimSpace(b)
	switch {
	case len(b) > 0 && b[0] == '[':
		var rows []json.RawMessage
		if err := strictJSON(b, &rows); err != nil {
			return nil, err
		}
		return rowsToColumns(rows)
	case len(b) > 0 && b[0] == '{':
		var obj map[string]json.RawMessage
		if err := strictJSON(b, &obj); err != nil {
			return nil, err
		}
		return columnsFromObject(b, obj)
	}
	return nil, fmt.Errorf("%w: expected an array of row objects or an object of columns", errTable)
}

// strictJSON decodes exactly one JSON value from b into v.
func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: malformed JSON: %v", errTable, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: data after the JSON value", errTable)
	}
	return nil
}

// rowsToColumns turns row objects into columns, in the order their names
// first appear; a row without a column's name has NA there.
func rowsToColumns(rows []json.RawMessage) ([]column, error) {
	index := map[string]int{}
	var cols []column
	for r, raw := range rows {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 || raw[0] != '{' {
			return nil, fmt.Errorf("%w: row %d is not an object", errTable, r+1)
		}
		keys, err := objectKeys(raw)
		if err != nil {
			return nil, fmt.Errorf("row %d: %w", r+1, err)
		}
		var obj map[string]any
		if err := strictJSON(raw, &obj); err != nil {
			return nil, err
		}
		for _, k := range keys {
			i, seen := index[k]
			if !seen {
				if len(cols) == maxColumns {
					return nil, fmt.Errorf("%w: more than %d columns", errTable, maxColumns)
				}
				i = len(cols)
				index[k] = i
				cols = append(cols, column{name: k, cells: make([]any, r, len(rows))})
			}
			c, err := scalar(obj[k])
			if err != nil {
				return nil, fmt.Errorf("%w: row %d, %q: %v", errTable, r+1, k, err)
			}
			cols[i].cells = append(cols[i].cells, c)
		}
		for i := range cols {
			if len(cols[i].cells) == r {
				cols[i].cells = append(cols[i].cells, nil)
			}
		}
	}
	return cols, nil
}

// columnsFromObject keeps the columns in the order the body wrote them.
func columnsFromObject(b []byte, obj map[string]json.RawMessage) ([]column, error) {
	if len(obj) > maxColumns {
		return nil, fmt.Errorf("%w: more than %d columns", errTable, maxColumns)
	}
	order, err := objectKeys(b)
	if err != nil {
		return nil, err
	}
	cols := make([]column, 0, len(obj))
	n := -1
	for _, k := range order {
		var arr []any
		if err := strictJSON(obj[k], &arr); err != nil || arr == nil {
			return nil, fmt.Errorf("%w: column %q is not an array", errTable, k)
		}
		if n >= 0 && len(arr) != n {
			return nil, fmt.Errorf("%w: column %q has %d values, the first column %d", errTable, k, len(arr), n)
		}
		n = len(arr)
		c := column{name: k, cells: make([]any, len(arr))}
		for i, x := range arr {
			if c.cells[i], err = scalar(x); err != nil {
				return nil, fmt.Errorf("%w: column %q, value %d: %v", errTable, k, i+1, err)
			}
		}
		cols = append(cols, c)
	}
	return cols, nil
}

// objectKeys lists the top-level keys of a JSON object in order, once
// each (a repeated key is refused: which one would count is unclear).
func objectKeys(b []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil { // {
		return nil, fmt.Errorf("%w: %v", errTable, err)
	}
	var keys []string
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errTable, err)
		}
		k, _ := t.(string)
		if seen[k] {
			return nil, fmt.Errorf("%w: column %q appears twice", errTable, k)
		}
		seen[k] = true
		keys = append(keys, k)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, fmt.Errorf("%w: %v", errTable, err)
		}
	}
	return keys, nil
}

func scalar(x any) (any, error) {
	switch t := x.(type) {
	case nil, bool, string:
		return t, nil
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil {
			return nil, fmt.Errorf("number %s out of range", t)
		}
		return f, nil
	}
	return nil, errors.New("nested arrays and objects are not table cells")
}

// dataFrame builds the R data frame of cols. A column's type is the widest
// of its cells: logical < integer (whole numbers within R's integer
// range) < double < character; NA fits all.
func dataFrame(cols []column) *rdata.Value {
	n := 0
	if len(cols) > 0 {
		n = len(cols[0].cells)
	}
	df := &rdata.Value{Type: rdata.VECSXP, Object: true, Elems: make([]*rdata.Value, len(cols))}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
		df.Elems[i] = vector(c.cells)
	}
	df.Attr = []rdata.Attr{
		{Name: "names", Value: rdata.Strings(names...)},
		{Name: "class", Value: rdata.Strings("data.frame")},
		// Automatic row names, as R stores them: c(NA_integer_, -n).
		{Name: "row.names", Value: rdata.Ints(rdata.NAInteger, int32(-n))},
	}
	return df
}

func vector(cells []any) *rdata.Value {
	kind := 0 // 0 logical, 1 integer, 2 double, 3 character
	for _, c := range cells {
		switch t := c.(type) {
		case float64:
			k := 2
			if t == math.Trunc(t) && t > math.MinInt32 && t <= math.MaxInt32 {
				k = 1
			}
			kind = max(kind, k)
		case string:
			kind = 3
		}
	}
	switch kind {
	case 0:
		v := make([]int32, len(cells))
		for i, c := range cells {
			switch c {
			case nil:
				v[i] = rdata.NAInteger
			case true:
				v[i] = 1
			}
		}
		return rdata.Logicals(v...)
	case 1:
		v := make([]int32, len(cells))
		for i, c := range cells {
			switch t := c.(type) {
			case float64:
				v[i] = int32(t)
			case bool:
				v[i] = int32(boolNum(t))
			default:
				v[i] = rdata.NAInteger
			}
		}
		return rdata.Ints(v...)
	case 2:
		v := make([]float64, len(cells))
		for i, c := range cells {
			switch t := c.(type) {
			case float64:
				v[i] = t
			case bool:
				v[i] = boolNum(t)
			default:
				v[i] = rdata.NAReal
			}
		}
		return rdata.Reals(v...)
	}
	v := &rdata.Value{Type: rdata.STRSXP, Strings: make([]rdata.String, len(cells))}
	for i, c := range cells {
		switch t := c.(type) {
		case nil:
			v.Strings[i] = rdata.String{NA: true}
		case string:
			v.Strings[i] = rdata.Str(strings.ToValidUTF8(t, "\uFFFD"))
		case bool:
			v.Strings[i] = rdata.Str(strings.ToUpper(strconv.FormatBool(t)))
		case float64:
			v.Strings[i] = rdata.Str(strconv.FormatFloat(t, 'g', 15, 64))
		}
	}
	return v
}

// boolNum is TRUE and FALSE in a numeric column, as R coerces them.
func boolNum(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
