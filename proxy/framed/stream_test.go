package framed_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/rwarden/rwarden/proxy/framed"
)

func TestReadRequestStreamLine(t *testing.T) {
	tests := []struct {
		name    string
		in      []byte
		stream  bool
		user    string
		wantErr string
	}{
		{"old request", req("UTF-8", []byte("1")), false, "", ""},
		{"stream", frame([]string{"STREAM", "UTF-8"}, 1, []byte("1")), true, "", ""},
		{"stream CRLF", frame([]string{"STREAM\r", "UTF-8"}, 1, []byte("1")), true, "", ""},
		{"stream and auth", frame([]string{"STREAM", authLine("alice:pw"), "UTF-8"}, 1, []byte("1")), true, "alice", ""},
		{"auth before stream", frame([]string{authLine("alice:pw"), "STREAM", "UTF-8"}, 1, []byte("1")), false, "", "unknown"},
		{"two stream lines", frame([]string{"STREAM", "STREAM", "UTF-8"}, 1, []byte("1")), false, "", "only one STREAM"},
		{"stream then nothing", []byte("STREAM\n"), false, "", "connection closed"},
		{"lower case is an encoding name", frame([]string{"stream", "UTF-8"}, 1, []byte("1")), false, "", "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := framed.ReadRequest(bytes.NewReader(tt.in), framed.Limits{})
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				var pe *framed.ProtocolError
				assert.True(t, errors.As(err, &pe), "a protocol error: %v", err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.stream, r.Stream)
			if tt.user != "" {
				require.NotNil(t, r.Auth)
				assert.Equal(t, tt.user, r.Auth.User)
			}
			assert.Equal(t, "1", string(r.Code))
		})
	}
}

func TestWriteStreamRequestRoundTrip(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, framed.WriteStreamRequest(&b, &framed.Credentials{User: "bob", Password: []byte("x")}, "latin1", []byte("'\xe9'")))
	assert.True(t, bytes.HasPrefix(b.Bytes(), []byte("STREAM\nAUTH ")))
	r, err := framed.ReadRequest(&b, framed.Limits{})
	require.NoError(t, err)
	assert.True(t, r.Stream)
	assert.Equal(t, "'é'", string(r.Code))
}

func TestStreamFrames(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, framed.WriteStreamFrame(&b, framed.FrameOutput, framed.UTF8, "tick 1\n"))
	require.NoError(t, framed.WriteStreamFrame(&b, framed.FrameResult, framed.UTF8, "Error: boom\n"))
	assert.Equal(t, append(append([]byte{'o'}, binary.LittleEndian.AppendUint64(nil, 7)...), "tick 1\n"...), b.Bytes()[:16])
	k, text, err := framed.ReadStreamFrame(&b, 0)
	require.NoError(t, err)
	assert.Equal(t, framed.FrameOutput, k)
	assert.Equal(t, "tick 1\n", string(text))
	k, text, err = framed.ReadStreamFrame(&b, 0)
	require.NoError(t, err)
	assert.Equal(t, framed.FrameResult, k)
	assert.Equal(t, "Error: boom\n", string(text))
	_, _, err = framed.ReadStreamFrame(&b, 0)
	assert.ErrorIs(t, err, io.EOF)

	bad := []struct {
		name string
		in   []byte
		want string
	}{
		{"unknown kind", append([]byte{'x'}, make([]byte, 8)...), "unknown stream frame kind"},
		{"too long", append([]byte{'o'}, binary.LittleEndian.AppendUint64(nil, 1<<62)...), "exceeds the limit"},
		{"short", append([]byte{'o'}, binary.LittleEndian.AppendUint64(nil, 5)...), "0 of 5"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := framed.ReadStreamFrame(bytes.NewReader(tt.in), 1<<20)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

// FuzzReadStreamFrame: a client reads frames from a server it may not
// trust; nothing in them may crash it or make it allocate past the limit.
func FuzzReadStreamFrame(f *testing.F) {
	f.Add([]byte("o\x03\x00\x00\x00\x00\x00\x00\x00abc"))
	f.Add([]byte("r\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Add([]byte("o\xff\xff\xff\xff\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := bytes.NewReader(in)
		for {
			_, text, err := framed.ReadStreamFrame(r, 1<<16)
			if err != nil {
				return
			}
			if len(text) > 1<<16 {
				t.Fatalf("frame of %d bytes past the limit", len(text))
			}
		}
	})
}
