package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// OpenCPU arguments. A call's arguments arrive as a form (each value is R
// code, as in OpenCPU) or as a JSON object (each value is data). Either
// way they become the text of one R call, pkg::fun(name = (code), ...),
// and that text is evaluated through the core like any other code: the
// policy sees the call of pkg::fun and every expression of every argument,
// so an argument cannot run what the user could not run directly.

// rName is a syntactic R name (what a package, function or argument name
// may be here: nothing that would need backquotes).
var rName = regexp.MustCompile(`^(?:[A-Za-z]|\.[A-Za-z._])[A-Za-z0-9._]{0,127}$|^\.$`)

// maxOcpuArgs bounds the number of arguments of one call.
const maxOcpuArgs = 256

// ocpuArg is one named argument as R code.
type ocpuArg struct{ name, code string }

// readOcpuArgs reads a call's arguments from its body (at most max
// bytes of code in all).
func readOcpuArgs(w http.ResponseWriter, r *http.Request, max int64) ([]ocpuArg, error) {
	// Checked for every call, body or not: a browser sends an empty form
	// cross-site as readily as a full one.
	if err := sameOrigin(r); err != nil {
		return nil, err
	}
	if r.ContentLength == 0 {
		return nil, nil
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, fmt.Errorf("%w: a body needs a Content-Type (application/json, application/x-www-form-urlencoded or multipart/form-data)", errMediaType)
	}
	if mt == "application/json" {
		body, err := readBody(w, r, max+jsonOverhead)
		if err != nil {
			return nil, err
		}
		return jsonArgs(body, max)
	}
	switch mt {
	case "application/x-www-form-urlencoded":
		body, err := readBody(w, r, max+jsonOverhead)
		if err != nil {
			return nil, err
		}
		vals, err := parseForm(string(body))
		if err != nil {
			return nil, err
		}
		return formArgs(vals, max)
	case "multipart/form-data":
		return multipartArgs(w, r, params["boundary"], max)
	}
	return nil, fmt.Errorf("%w: send application/json, application/x-www-form-urlencoded or multipart/form-data, not %q", errMediaType, mt)
}

// errCrossSite is a form sent by a browser from another site.
var errCrossSite = errors.New("cross-site form submission refused")

// sameOrigin refuses a call a browser sent from another site. A JSON body
// cannot be sent cross-site without a CORS preflight (which this server
// never grants), but a form can (an empty one too), and the browser would
// attach the user's cached Basic credentials or client certificate. Browsers mark such
// requests (Sec-Fetch-Site, Origin); clients that are not browsers (curl,
// R, Python) send neither and are not affected.
func sameOrigin(r *http.Request) error {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return fmt.Errorf("%w (Sec-Fetch-Site: %s)", errCrossSite, site)
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return fmt.Errorf("%w (Origin %q is not this server)", errCrossSite, o)
		}
	}
	return nil
}

// parseForm parses an x-www-form-urlencoded body. Unlike url.ParseQuery
// it keeps ';' inside values: a value is R code, and clients such as curl
// -d send "x={a; b}" unencoded.
func parseForm(body string) (url.Values, error) {
	vals := url.Values{}
	for _, pair := range strings.Split(body, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			return nil, fmt.Errorf("malformed form body: %w", err)
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			return nil, fmt.Errorf("malformed form body: %w", err)
		}
		vals.Add(key, val)
		if len(vals) > maxOcpuArgs {
			return nil, fmt.Errorf("more than %d arguments", maxOcpuArgs)
		}
	}
	return vals, nil
}

func formArgs(vals url.Values, max int64) ([]ocpuArg, error) {
	names := make([]string, 0, len(vals))
	for k := range vals {
		names = append(names, k)
	}
	slices.Sort(names) // a form's order is not kept by url.Values; R matches by name
	args := make([]ocpuArg, 0, len(names))
	var total int64
	for _, k := range names {
		if len(vals[k]) != 1 {
			return nil, fmt.Errorf("argument %q is given %d times", k, len(vals[k]))
		}
		total += int64(len(vals[k][0]))
		if total > max {
			return nil, fmt.Errorf("%w: the arguments are above the limit of %d bytes of code", errTooLarge, max)
		}
		code, err := formValue(vals[k][0])
		if err != nil {
			return nil, fmt.Errorf("argument %q: %w", k, err)
		}
		args = append(args, ocpuArg{name: k, code: code})
	}
	return checkArgs(args)
}

// formValue is the R code of a form value. A value is R code, as in
// OpenCPU, except a JSON array or object and the JSON words true, false
// and null, which are not R: those are data (OpenCPU accepts JSON there,
// and opencpu.js sends JSON.stringify of plain values in forms).
func formValue(v string) (string, error) {
	t := strings.TrimSpace(v)
	switch {
	case t == "true" || t == "false" || t == "null",
		(strings.HasPrefix(t, "[") || strings.HasPrefix(t, "{")) && json.Valid([]byte(t)):
		dec := json.NewDecoder(strings.NewReader(t))
		dec.UseNumber()
		var x any
		if err := dec.Decode(&x); err != nil {
			return "", fmt.Errorf("malformed JSON: %w", err)
		}
		var b strings.Builder
		if err := rLiteral(&b, x, 0); err != nil {
			return "", err
		}
		return b.String(), nil
	}
	return v, nil
}

// multipartArgs reads a multipart form of plain fields (file uploads are
// not supported: they would need a scratch file per call).
func multipartArgs(w http.ResponseWriter, r *http.Request, boundary string, max int64) ([]ocpuArg, error) {
	if boundary == "" {
		return nil, errors.New("multipart body without a boundary")
	}
	if r.ContentLength > max+jsonOverhead {
		return nil, fmt.Errorf("%w: the body of %d bytes is above the limit of %d", errTooLarge, r.ContentLength, max+jsonOverhead)
	}
	body, err := readBody(w, r, max+jsonOverhead)
	if err != nil {
		return nil, err
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	vals := url.Values{}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("malformed multipart body: %w", err)
		}
		if p.FileName() != "" {
			return nil, fmt.Errorf("argument %q is a file upload, which is not supported: use PUT /v1/sessions/{id}/files/{name}", p.FormName())
		}
		b, err := io.ReadAll(io.LimitReader(p, max+1))
		if err != nil {
			return nil, fmt.Errorf("malformed multipart body: %w", err)
		}
		vals.Add(p.FormName(), string(b))
		if len(vals) > maxOcpuArgs {
			break
		}
	}
	return formArgs(vals, max)
}

// jsonArgs turns a JSON object into arguments whose code is the R literal
// of each value (see rLiteral).
func jsonArgs(body []byte, max int64) ([]ocpuArg, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, errors.New("malformed JSON body: the arguments must be a JSON object")
	}
	var args []ocpuArg
	var total int64
	for dec.More() {
		k, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("malformed JSON body: %w", err)
		}
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("malformed JSON body: %w", err)
		}
		var b strings.Builder
		if err := rLiteral(&b, v, 0); err != nil {
			return nil, fmt.Errorf("argument %q: %w", k, err)
		}
		total += int64(b.Len())
		if total > max {
			return nil, fmt.Errorf("%w: the arguments are above the limit of %d bytes of code", errTooLarge, max)
		}
		args = append(args, ocpuArg{name: k.(string), code: b.String()})
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("malformed JSON body: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("malformed JSON body: data after the JSON object")
	}
	return checkArgs(args)
}

func checkArgs(args []ocpuArg) ([]ocpuArg, error) {
	if len(args) > maxOcpuArgs {
		return nil, fmt.Errorf("more than %d arguments", maxOcpuArgs)
	}
	seen := map[string]bool{}
	for _, a := range args {
		if !rName.MatchString(a.name) {
			return nil, fmt.Errorf("argument name %q is not a syntactic R name", a.name)
		}
		if seen[a.name] {
			return nil, fmt.Errorf("argument %q is given twice", a.name)
		}
		seen[a.name] = true
		if strings.TrimSpace(a.code) == "" {
			return nil, fmt.Errorf("argument %q is empty", a.name)
		}
	}
	return args, nil
}

// rLiteral writes a JSON value as the R expression jsonlite's fromJSON
// would give for it in the common cases: null is NULL, scalars are
// length-one vectors, an array of scalars of one kind is c(...) (nulls in
// it NA), any other array is list(...), an object is a named list. It
// never writes a call other than c(), list() and NULL-free literals, so
// the only functions the policy sees from a JSON argument are those two.
func rLiteral(b *strings.Builder, v any, depth int) error {
	if depth > maxJSONDepth {
		return fmt.Errorf("nested deeper than %d", maxJSONDepth)
	}
	switch x := v.(type) {
	case nil:
		b.WriteString("NULL")
	case bool:
		b.WriteString(map[bool]string{true: "TRUE", false: "FALSE"}[x])
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return fmt.Errorf("number %s out of range", x)
		}
		b.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
	case string:
		b.WriteString(rString(x))
	case []any:
		if len(x) == 0 {
			b.WriteString("list()")
			return nil
		}
		fn := "c("
		if !scalarArray(x) {
			fn = "list("
		}
		b.WriteString(fn)
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			if e == nil && fn == "c(" {
				b.WriteString("NA")
				continue
			}
			if err := rLiteral(b, e, depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(')')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b.WriteString("list(")
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(rString(k))
			b.WriteString(" = ")
			if err := rLiteral(b, x[k], depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(')')
	default:
		return fmt.Errorf("unsupported JSON value %T", v)
	}
	return nil
}

// scalarArray reports whether every element is a scalar of one kind
// (nulls allowed, at least one non-null).
func scalarArray(x []any) bool {
	kind := ""
	for _, e := range x {
		var k string
		switch e.(type) {
		case nil:
			continue
		case bool:
			k = "b"
		case json.Number:
			k = "n"
		case string:
			k = "s"
		default:
			return false
		}
		if kind != "" && k != kind {
			return false
		}
		kind = k
	}
	return kind != ""
}

// rString is s as an R string literal: double quotes, with backslashes,
// quotes and every control character escaped (\u for the rest), so the
// literal is one token whatever s holds.
func rString(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == 0: // R strings cannot hold NUL
			b.WriteString(`\uFFFD`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// ocpuCall is the R code of the call pkg::fun(args): each argument in
// parentheses on lines of its own, so that a comment in one ends with its
// line and an argument is one expression.
func ocpuCall(pkg, fun string, args []ocpuArg) string {
	var b strings.Builder
	b.WriteString(pkg + "::" + fun + "(")
	for i, a := range args {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(a.name + " = (\n" + a.code + "\n)")
	}
	b.WriteString(")")
	return b.String()
}
