package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// jsonOverhead is what a request body may hold beyond the code itself
// (the JSON around it and its escapes): the body is bounded by the
// listener's max_code_bytes plus this before a byte is read.
const jsonOverhead = 64 << 10

// evalRequest is the body of an evaluation.
type evalRequest struct {
	Code string `json:"code"`
	// Value asks for the last value as JSON (default true).
	Value *bool `json:"value,omitempty"`
}

// errMediaType is a body of the wrong media type (415).
var errMediaType = errors.New("unsupported media type")

// errTooLarge is a body or code above the listener's limits (413).
var errTooLarge = errors.New("too large")

// readJSON decodes the request body strictly into v: at most max bytes,
// a JSON object with no unknown fields and nothing after it, read within
// the listener's read_timeout (the server's ReadTimeout). Once the body is
// read the read deadline is lifted: the answer may take as long as the
// evaluation's own limits allow, and an expired read deadline would cancel
// the request. After a failure it stays: the server then reads what is
// left of the body before answering, and that must not wait forever on a
// client that stalls.
func readJSON(w http.ResponseWriter, r *http.Request, max int64, v any) (err error) {
	defer func() {
		if err == nil {
			_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
		}
	}()
	// Required, not assumed: a browser can send a cross-site POST with
	// no Content-Type (or text/plain) and the user's cached Basic
	// credentials without asking the server first, but not one with
	// application/json.
	if ct := r.Header.Get("Content-Type"); !isJSONType(ct) {
		return fmt.Errorf("%w: the body must be sent as application/json, not %q", errMediaType, ct)
	}
	if r.ContentLength > max {
		return fmt.Errorf("%w: the body of %d bytes is above the limit of %d", errTooLarge, r.ContentLength, max)
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, max))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return fmt.Errorf("%w: the body is above the limit of %d bytes", errTooLarge, max)
		}
		return fmt.Errorf("malformed JSON body: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("malformed JSON body: data after the JSON object")
	}
	return nil
}

func isJSONType(ct string) bool {
	for i := 0; i < len(ct); i++ {
		if ct[i] == ';' {
			ct = ct[:i]
			break
		}
	}
	for len(ct) > 0 && ct[len(ct)-1] == ' ' {
		ct = ct[:len(ct)-1]
	}
	return ct == "application/json"
}

// bodyError answers a body that could not be read.
func bodyError(w http.ResponseWriter, err error) {
	if errors.Is(err, errTooLarge) {
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", err.Error(), nil)
		return
	}
	if errors.Is(err, errMediaType) {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", err.Error(), nil)
		return
	}
	writeError(w, http.StatusBadRequest, "bad_request", err.Error(), nil)
}
