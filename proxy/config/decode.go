package config

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// strictDecoder fills a Go value from a yaml.Node tree and refuses anything
// the Go types do not describe. yaml.v3's own KnownFields mode stops at the
// first problem and names Go types; walking the nodes ourselves lets us report
// every problem at once, with its line and its dotted key path, and remember
// where each key was so later validation can point at it too.
type strictDecoder struct {
	file     string
	lines    map[string]int // key path -> line of its value
	problems []problem
}

type problem struct {
	line int
	path string
	msg  string
}

func (d *strictDecoder) addf(line int, path, format string, args ...any) {
	d.problems = append(d.problems, problem{line: line, path: path, msg: fmt.Sprintf(format, args...)})
}

// unmarshaler is what Size, Duration, FileMode and UIDRange implement.
type unmarshaler interface{ UnmarshalYAML(*yaml.Node) error }

// defaulter is implemented by types whose fresh list or map elements start
// from defaults rather than zero values (a listener without read_timeout gets
// 10s, not 0).
type defaulter interface{ setDefaults() }

var unmarshalerType = reflect.TypeFor[unmarshaler]()

func (d *strictDecoder) decode(n *yaml.Node, v reflect.Value, path string) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	d.lines[path] = n.Line
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return // "key:" with no value keeps the default
	}
	if reflect.PointerTo(v.Type()).Implements(unmarshalerType) {
		if err := v.Addr().Interface().(unmarshaler).UnmarshalYAML(n); err != nil {
			d.addf(n.Line, path, "%v", err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		d.decode(n, v.Elem(), path)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	default:
		d.decodeScalar(n, v, path)
	}
}

func (d *strictDecoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.addf(n.Line, path, "expected a mapping of keys, got a %s", kindName(n))
		return
	}
	fields := map[string]int{}
	var names []string
	for i := 0; i < v.NumField(); i++ {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		fields[name] = i
		names = append(names, name)
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.addf(k.Line, path, "keys must be plain names, got a %s", kindName(k))
			continue
		}
		sub := join(path, k.Value)
		if prev, dup := seen[k.Value]; dup {
			d.addf(k.Line, sub, "key given twice (first on line %d)", prev)
			continue
		}
		seen[k.Value] = k.Line
		idx, ok := fields[k.Value]
		if !ok {
			d.addf(k.Line, sub, "unknown key%s; known keys here: %s", suggest(k.Value, names), strings.Join(names, ", "))
			continue
		}
		d.decode(val, v.Field(idx), sub)
	}
}

func (d *strictDecoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		d.addf(n.Line, path, "expected a mapping, got a %s", kindName(n))
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			d.addf(k.Line, path, "keys must be non-empty names, got a %s", kindName(k))
			continue
		}
		sub := join(path, k.Value)
		if prev, dup := seen[k.Value]; dup {
			d.addf(k.Line, sub, "key given twice (first on line %d)", prev)
			continue
		}
		seen[k.Value] = k.Line
		elem := newElem(v.Type().Elem())
		d.decode(val, elem, sub)
		v.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), elem)
	}
}

func (d *strictDecoder) decodeSlice(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.SequenceNode {
		d.addf(n.Line, path, "expected a list, got a %s", kindName(n))
		return
	}
	out := reflect.MakeSlice(v.Type(), 0, len(n.Content))
	for i, item := range n.Content {
		elem := newElem(v.Type().Elem())
		d.decode(item, elem, path+"["+strconv.Itoa(i)+"]")
		out = reflect.Append(out, elem)
	}
	v.Set(out)
}

// newElem makes an addressable fresh element, with defaults if it has any.
func newElem(t reflect.Type) reflect.Value {
	e := reflect.New(t).Elem()
	if df, ok := e.Addr().Interface().(defaulter); ok {
		df.setDefaults()
	}
	return e
}

func (d *strictDecoder) decodeScalar(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.ScalarNode {
		d.addf(n.Line, path, "expected %s, got a %s", scalarWant(v.Kind()), kindName(n))
		return
	}
	if v.Kind() == reflect.String {
		// Any scalar is text; a number where a name is expected is still a name.
		v.SetString(n.Value)
		return
	}
	if err := n.Decode(v.Addr().Interface()); err != nil {
		d.addf(n.Line, path, "expected %s, got %q", scalarWant(v.Kind()), n.Value)
	}
}

func scalarWant(k reflect.Kind) string {
	switch k {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a non-negative integer in range"
	case reflect.String:
		return "a text value"
	}
	return "a value"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// suggest names a known key that is one small typo away, if any.
func suggest(got string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if dist := editDistance(got, k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// lineOf finds the line of path or of its nearest ancestor that has one.
func (d *strictDecoder) lineOf(path string) int {
	for p := path; p != ""; {
		if l, ok := d.lines[p]; ok {
			return l
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}

// Error lists every problem found in a configuration file, one per
// line, each as "FILE:LINE: key.path: message".
type Error struct {
	File     string
	Problems []string
}

func (e *Error) Error() string { return strings.Join(e.Problems, "\n") }

func (d *strictDecoder) err() error {
	if len(d.problems) == 0 {
		return nil
	}
	sort.SliceStable(d.problems, func(i, j int) bool { return d.problems[i].line < d.problems[j].line })
	ce := &Error{File: d.file}
	for _, p := range d.problems {
		where := d.file
		if p.line > 0 {
			where += ":" + strconv.Itoa(p.line)
		}
		if p.path != "" {
			where += ": " + p.path
		}
		ce.Problems = append(ce.Problems, where+": "+p.msg)
	}
	return ce
}
