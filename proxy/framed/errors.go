package framed

import "fmt"

// ProtocolError is a malformed or refused request. Msg is written for the
// client: the server answers it as "Error: " + Msg in the same framing (see
// Answer), so it never contains secrets or raw client bytes beyond a short,
// quoted, ASCII-checked excerpt.
type ProtocolError struct {
	Msg string
	// Err is the underlying cause, if any (for example io.ErrUnexpectedEOF
	// when the peer closed mid-request), so callers can use errors.Is.
	Err error
}

func (e *ProtocolError) Error() string { return "framed protocol: " + e.Msg }

func (e *ProtocolError) Unwrap() error { return e.Err }

// Answer is the text the server sends back for this error. It starts with
// "Error" like every other failed evaluation, so clients (and rwarden eval's
// exit status) treat it the same way.
func (e *ProtocolError) Answer() string { return "Error: " + e.Msg + "\n" }

func protoErr(err error, format string, args ...any) *ProtocolError {
	return &ProtocolError{Msg: fmt.Sprintf(format, args...), Err: err}
}
