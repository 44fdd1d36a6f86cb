package sandbox

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The worker protocol between rwarden and harness.R. Requests travel on the
// worker's fd 3, responses on its fd 4. Everything a worker sends is treated
// as untrusted input: user code runs in that process and can write to fd 4.
const (
	reqEval    uint32 = 1
	reqBind    uint32 = 2
	reqAssign  uint32 = 3
	reqSetErr  uint32 = 4
	reqPutFile uint32 = 5
	reqGetFile uint32 = 6

	respReady  uint32 = 10
	respResult uint32 = 11
	respBound  uint32 = 12
	respDone   uint32 = 13
	respFile   uint32 = 14
	respEvent  uint32 = 15 // a message or warning, sent while an evaluation runs

	flagWantValue uint32 = 1
	flagQuiet     uint32 = 2
	flagPoll      uint32 = 4  // the worker may busy-poll for the next request
	flagPlots     uint32 = 8  // capture the evaluation's plots as PNG and SVG
	flagEvents    uint32 = 16 // send each message and warning as it is signalled (respEvent)

	// maxPlots bounds the plots one result may carry (harness.R's
	// PLOT_MAX says the same).
	maxPlots = 16

	nonceLen       = 16
	reqHeaderLen   = 12
	respHeaderLen  = 8
	maxRequestBody = 64 << 20
)

// MaxAssignBytes bounds one assignment sent to a worker (the frame's
// length is read by R as a signed 32-bit integer); front ends bound it
// further per user.
const MaxAssignBytes = 1 << 30

// harness status codes (ST_* in harness.R).
const (
	hsOK      = 0
	hsError   = 1
	hsSyntax  = 2
	hsAborted = 3
)

var errProtocol = errors.New("worker protocol violation")

// encodeRequest frames a request: int32 type, int32 flags, int32 length, then
// the nonce and body.
func encodeRequest(typ, flags uint32, nonce []byte, body []byte) ([]byte, error) {
	head, err := encodeRequestHead(typ, flags, nonce, len(body))
	if err != nil {
		return nil, err
	}
	return append(head, body...), nil
}

// encodeRequestHead is a request's frame up to its body (header and
// nonce), for a body of n bytes sent after it: a large assignment is then
// written to the worker as it is, not copied into a frame first.
func encodeRequestHead(typ, flags uint32, nonce []byte, n int) ([]byte, error) {
	limit := maxRequestBody
	if typ == reqAssign {
		limit = MaxAssignBytes
	}
	if n < 0 || n > limit-len(nonce) {
		return nil, fmt.Errorf("request of %d bytes exceeds the worker limit of %d", n+len(nonce), limit)
	}
	buf := make([]byte, reqHeaderLen, reqHeaderLen+len(nonce))
	binary.LittleEndian.PutUint32(buf[0:], typ)
	binary.LittleEndian.PutUint32(buf[4:], flags)
	binary.LittleEndian.PutUint32(buf[8:], uint32(len(nonce)+n))
	return append(buf, nonce...), nil
}

// parseRespHeader validates a response header and returns type and length.
func parseRespHeader(h []byte, maxLen int64) (typ uint32, n int, err error) {
	if len(h) != respHeaderLen {
		return 0, 0, fmt.Errorf("%w: short header", errProtocol)
	}
	typ = binary.LittleEndian.Uint32(h[0:])
	l := int64(int32(binary.LittleEndian.Uint32(h[4:])))
	switch typ {
	case respReady, respResult, respBound, respDone, respFile, respEvent:
	default:
		return 0, 0, fmt.Errorf("%w: unknown response type %d", errProtocol, typ)
	}
	if l < 0 || l > maxLen {
		return 0, 0, fmt.Errorf("%w: response length %d outside 0..%d", errProtocol, l, maxLen)
	}
	return typ, int(l), nil
}

// harnessResult is a decoded RESULT payload.
type harnessResult struct {
	Nonce    []byte
	Status   int32
	Messages []string
	Warnings []string
	Error    string
	Value    []byte // nil when the harness sent none
	HasValue bool
	Plots    []Plot
}

// payloadReader reads length-checked fields from a response payload.
type payloadReader struct {
	b   []byte
	err error
}

func (r *payloadReader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b) {
		r.err = fmt.Errorf("%w: field of %d bytes with %d left", errProtocol, n, len(r.b))
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *payloadReader) i32() int32 {
	b := r.take(4)
	if b == nil {
		return 0
	}
	return int32(binary.LittleEndian.Uint32(b))
}

func (r *payloadReader) str() string {
	n := r.i32()
	return string(r.take(int(n)))
}

// plots reads a counted list of (PNG, SVG) pairs, each a counted byte
// string (empty when that format could not be drawn).
func (r *payloadReader) plots() []Plot {
	n := r.i32()
	if r.err != nil {
		return nil
	}
	if n < 0 || n > maxPlots || int(n) > len(r.b)/8 {
		r.err = fmt.Errorf("%w: %d plots with %d bytes left", errProtocol, n, len(r.b))
		return nil
	}
	out := make([]Plot, 0, n)
	for i := int32(0); i < n && r.err == nil; i++ {
		png := r.take(int(r.i32()))
		svg := r.take(int(r.i32()))
		out = append(out, Plot{PNG: png, SVG: svg})
	}
	return out
}

// strList reads a counted list of strings. The count is bounded by the bytes
// left (every entry takes at least 4), so a forged count cannot allocate.
func (r *payloadReader) strList() []string {
	n := r.i32()
	if r.err != nil {
		return nil
	}
	if n < 0 || int(n) > len(r.b)/4 {
		r.err = fmt.Errorf("%w: list of %d entries with %d bytes left", errProtocol, n, len(r.b))
		return nil
	}
	out := make([]string, 0, n)
	for i := int32(0); i < n && r.err == nil; i++ {
		out = append(out, r.str())
	}
	return out
}

// decodeResult parses a RESULT payload. With plots (the request asked for
// them) a list of plots may follow the value.
func decodeResult(p []byte, plots bool) (*harnessResult, error) {
	r := &payloadReader{b: p}
	res := &harnessResult{}
	res.Nonce = r.take(nonceLen)
	res.Status = r.i32()
	res.Messages = r.strList()
	res.Warnings = r.strList()
	res.Error = r.str()
	vlen := r.i32()
	if r.err == nil && vlen >= 0 {
		res.Value = r.take(int(vlen))
		res.HasValue = r.err == nil
	} else if r.err == nil && vlen != -1 {
		r.err = fmt.Errorf("%w: value length %d", errProtocol, vlen)
	}
	if r.err == nil && len(r.b) != 0 && plots {
		res.Plots = r.plots()
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: %d trailing bytes in result", errProtocol, len(r.b))
	}
	if r.err != nil {
		return nil, r.err
	}
	if res.Status < hsOK || res.Status > hsAborted {
		return nil, fmt.Errorf("%w: status %d", errProtocol, res.Status)
	}
	return res, nil
}

// decodeFile parses a FILE payload: nonce, an error text ("" = ok) and
// the file's bytes.
func decodeFile(p []byte) (nonce []byte, errText string, data []byte, err error) {
	r := &payloadReader{b: p}
	nonce = r.take(nonceLen)
	errText = r.str()
	data = r.take(int(r.i32()))
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: %d trailing bytes in file answer", errProtocol, len(r.b))
	}
	return nonce, errText, data, r.err
}

// decodeBound parses a BOUND or DONE payload: nonce and an error text ("" = ok).
func decodeBound(p []byte) (nonce []byte, errText string, err error) {
	r := &payloadReader{b: p}
	nonce = r.take(nonceLen)
	errText = r.str()
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%w: %d trailing bytes in bind answer", errProtocol, len(r.b))
	}
	return nonce, errText, r.err
}
