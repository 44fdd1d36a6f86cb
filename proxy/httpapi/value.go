package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/rwarden/rwarden/proxy/rdata"
)

// The value of an evaluation as JSON, converted in Go from the value the
// worker serialized (never by running more R code): jsonlite's defaults
// where they are unambiguous.
//
//	NULL                     null
//	logical, integer, double arrays; NA, NaN and Inf become null
//	character                array of strings; NA becomes null
//	factor                   array of its labels
//	Date, POSIXct            array of ISO 8601 strings (POSIXct in UTC)
//	complex                  array of strings such as "1+2i"
//	raw                      one base64 string
//	matrix (2 dimensions)    array of rows
//	data frame               array of row objects (NA cells left out)
//	named list               object; unnamed list: array
//
// Anything else (functions, environments, language objects, S4) has no
// JSON form: the answer says so instead of guessing.

// errNotJSON is a value with no JSON form.
var errNotJSON = errors.New("the value has no JSON form")

// maxJSONBytes bounds the JSON rendering of one value.
const maxJSONBytes = 32 << 20

// maxJSONDepth bounds the nesting the rendering follows.
const maxJSONDepth = 64

// valueJSON renders a serialized R value (serialize(x, NULL, version = 2))
// as JSON.
func valueJSON(serialized []byte) (json.RawMessage, error) {
	v, err := rdata.Unserialize(serialized, rdata.Limits{})
	if err != nil {
		return nil, fmt.Errorf("decoding the value: %w", err)
	}
	return toJSON(v)
}

func toJSON(v *rdata.Value) (json.RawMessage, error) {
	j := &jsonWriter{}
	if err := j.value(v, 0); err != nil {
		return nil, err
	}
	if err := j.full(); err != nil {
		return nil, err // the last cells written (a raw vector's base64)
	}
	return json.RawMessage(j.b.Bytes()), nil
}

type jsonWriter struct{ b bytes.Buffer }

func (j *jsonWriter) full() error {
	if j.b.Len() > maxJSONBytes {
		return fmt.Errorf("%w: larger than %d bytes as JSON", errNotJSON, maxJSONBytes)
	}
	return nil
}

func (j *jsonWriter) value(v *rdata.Value, depth int) error {
	if depth > maxJSONDepth {
		return fmt.Errorf("%w: nested deeper than %d", errNotJSON, maxJSONDepth)
	}
	if err := j.full(); err != nil {
		return err
	}
	class := v.Class()
	switch {
	case v.Type == rdata.NILSXP:
		j.b.WriteString("null")
		return nil
	case v.Type == rdata.VECSXP && slices.Contains(class, "data.frame"):
		return j.dataFrame(v, depth)
	case v.Type == rdata.VECSXP:
		return j.list(v, depth)
	case isAtomic(v.Type):
		if dim := v.GetAttr("dim"); dim != nil && dim.Len() == 2 && !slices.Contains(class, "factor") {
			return j.matrix(v, dim)
		}
		if v.Type == rdata.RAWSXP {
			j.str(base64.StdEncoding.EncodeToString(v.Raw))
			return nil
		}
		cell := cellWriter(v)
		j.b.WriteByte('[')
		for i := range v.Len() {
			if i > 0 {
				j.b.WriteByte(',')
			}
			cell(j, i)
			// Every cell: one string may be megabytes, and escaping
			// makes it up to six times larger than R's bytes.
			if err := j.full(); err != nil {
				return err
			}
		}
		j.b.WriteByte(']')
		return nil
	}
	if v.Type == rdata.S4SXP || v.Object && v.Type == rdata.ENVSXP {
		return fmt.Errorf("%w: an object of class %v", errNotJSON, class)
	}
	return fmt.Errorf("%w: a %s", errNotJSON, v.Type)
}

func isAtomic(t rdata.Type) bool {
	switch t {
	case rdata.LGLSXP, rdata.INTSXP, rdata.REALSXP, rdata.CPLXSXP, rdata.STRSXP, rdata.RAWSXP:
		return true
	}
	return false
}

// cellWriter writes element i of an atomic vector (NA as null).
func cellWriter(v *rdata.Value) func(j *jsonWriter, i int) {
	class := v.Class()
	switch v.Type {
	case rdata.LGLSXP:
		return func(j *jsonWriter, i int) {
			switch v.Ints[i] {
			case rdata.NAInteger:
				j.b.WriteString("null")
			case 0:
				j.b.WriteString("false")
			default:
				j.b.WriteString("true")
			}
		}
	case rdata.INTSXP:
		if slices.Contains(class, "factor") {
			levels := v.GetAttr("levels")
			return func(j *jsonWriter, i int) {
				k := int(v.Ints[i])
				if v.Ints[i] == rdata.NAInteger || levels == nil || levels.Type != rdata.STRSXP || k < 1 || k > len(levels.Strings) {
					j.b.WriteString("null")
					return
				}
				j.rstr(levels.Strings[k-1])
			}
		}
		return func(j *jsonWriter, i int) {
			if v.Ints[i] == rdata.NAInteger {
				j.b.WriteString("null")
				return
			}
			j.b.WriteString(strconv.FormatInt(int64(v.Ints[i]), 10))
		}
	case rdata.REALSXP:
		isDate, isTime := slices.Contains(class, "Date"), slices.Contains(class, "POSIXct")
		return func(j *jsonWriter, i int) {
			x := v.Reals[i]
			switch {
			case math.IsNaN(x) || math.IsInf(x, 0):
				j.b.WriteString("null")
			case isDate:
				j.str(time.Unix(0, 0).UTC().AddDate(0, 0, int(math.Floor(x))).Format("2006-01-02"))
			case isTime:
				sec, frac := math.Modf(x)
				j.str(time.Unix(int64(sec), int64(frac*1e9)).UTC().Format(time.RFC3339Nano))
			default:
				j.b.WriteString(strconv.FormatFloat(x, 'g', 15, 64))
			}
		}
	case rdata.CPLXSXP:
		return func(j *jsonWriter, i int) {
			c := v.Complex[i]
			if math.IsNaN(real(c)) || math.IsNaN(imag(c)) {
				j.b.WriteString("null")
				return
			}
			s := strconv.FormatComplex(c, 'g', 15, 128) // "(1+2i)"
			j.str(s[1 : len(s)-1])
		}
	case rdata.STRSXP:
		return func(j *jsonWriter, i int) { j.rstr(v.Strings[i]) }
	}
	return func(j *jsonWriter, _ int) { j.b.WriteString("null") }
}

// rstr writes an R string (null for NA; bytes that are not valid in its
// encoding become U+FFFD, as encoding/json does).
func (j *jsonWriter) rstr(s rdata.String) {
	if s.NA {
		j.b.WriteString("null")
		return
	}
	u, _ := s.UTF8()
	j.str(u)
}

func (j *jsonWriter) str(s string) {
	b, _ := json.Marshal(s)
	j.b.Write(b)
}

func names(v *rdata.Value) []rdata.String {
	n := v.GetAttr("names")
	if n == nil || n.Type != rdata.STRSXP || len(n.Strings) != v.Len() {
		return nil
	}
	return n.Strings
}

func (j *jsonWriter) list(v *rdata.Value, depth int) error {
	nm := names(v)
	open, close := byte('['), byte(']')
	if nm != nil {
		open, close = '{', '}'
	}
	j.b.WriteByte(open)
	for i, e := range v.Elems {
		if i > 0 {
			j.b.WriteByte(',')
		}
		if nm != nil {
			key := nm[i]
			key.NA = false
			j.rstr(key)
			j.b.WriteByte(':')
		}
		if err := j.value(e, depth+1); err != nil {
			return err
		}
	}
	j.b.WriteByte(close)
	return nil
}

func (j *jsonWriter) matrix(v *rdata.Value, dim *rdata.Value) error {
	var nr, nc int
	switch dim.Type {
	case rdata.INTSXP:
		nr, nc = int(dim.Ints[0]), int(dim.Ints[1])
	case rdata.REALSXP:
		nr, nc = int(dim.Reals[0]), int(dim.Reals[1])
	}
	if nr < 0 || nc < 0 || nr*nc != v.Len() {
		return fmt.Errorf("%w: a matrix whose dim does not match its length", errNotJSON)
	}
	if v.Type == rdata.RAWSXP {
		return fmt.Errorf("%w: a raw matrix", errNotJSON)
	}
	cell := cellWriter(v)
	j.b.WriteByte('[')
	for r := range nr {
		if r > 0 {
			j.b.WriteByte(',')
		}
		j.b.WriteByte('[')
		for c := range nc {
			if c > 0 {
				j.b.WriteByte(',')
			}
			cell(j, c*nr+r) // R stores matrices by column
			if err := j.full(); err != nil {
				return err
			}
		}
		j.b.WriteByte(']')
		if err := j.full(); err != nil {
			return err
		}
	}
	j.b.WriteByte(']')
	return nil
}

// dataFrame writes a data frame as an array of row objects, its columns
// atomic vectors of the same length.
func (j *jsonWriter) dataFrame(v *rdata.Value, depth int) error {
	nm := names(v)
	if nm == nil && len(v.Elems) > 0 {
		return fmt.Errorf("%w: a data frame without column names", errNotJSON)
	}
	rows := -1
	cells := make([]func(*jsonWriter, int), len(v.Elems))
	for i, col := range v.Elems {
		if !isAtomic(col.Type) || col.Type == rdata.RAWSXP || col.GetAttr("dim") != nil {
			return fmt.Errorf("%w: a data frame with a column of type %s", errNotJSON, col.Type)
		}
		if rows >= 0 && col.Len() != rows {
			return fmt.Errorf("%w: a data frame with columns of different lengths", errNotJSON)
		}
		rows = col.Len()
		cells[i] = cellWriter(col)
	}
	if rows < 0 {
		rows = 0
	}
	keys := make([][]byte, len(nm))
	for i, n := range nm {
		u, _ := n.UTF8()
		keys[i], _ = json.Marshal(u)
	}
	j.b.WriteByte('[')
	for r := range rows {
		if r > 0 {
			j.b.WriteByte(',')
		}
		j.b.WriteByte('{')
		first := true
		for c, col := range v.Elems {
			if isNA(col, r) {
				continue
			}
			if !first {
				j.b.WriteByte(',')
			}
			first = false
			j.b.Write(keys[c])
			j.b.WriteByte(':')
			cells[c](j, r)
		}
		j.b.WriteByte('}')
		if err := j.full(); err != nil {
			return err
		}
	}
	j.b.WriteByte(']')
	return nil
}

func isNA(v *rdata.Value, i int) bool {
	switch v.Type {
	case rdata.LGLSXP, rdata.INTSXP:
		return v.Ints[i] == rdata.NAInteger
	case rdata.REALSXP:
		return rdata.IsNAReal(v.Reals[i])
	case rdata.STRSXP:
		return v.Strings[i].NA
	}
	return false
}
