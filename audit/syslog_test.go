package audit

import (
	"context"
	"log/syslog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSyslogCopy(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "log.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	require.NoError(t, err)
	defer conn.Close()

	old := syslogDial
	syslogDial = func() (*syslog.Writer, error) {
		return syslog.Dial("unixgram", sock, syslog.LOG_AUTHPRIV|syslog.LOG_INFO, "rwarden-audit")
	}
	t.Cleanup(func() { syslogDial = old })

	l := openLog(t, Config{Syslog: true})
	r := sample(2)
	require.NoError(t, l.Write(context.Background(), r))

	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	buf := make([]byte, 64<<10)
	n, err := conn.Read(buf)
	require.NoError(t, err)
	msg := string(buf[:n])
	assert.Contains(t, msg, "rwarden-audit")
	assert.True(t, strings.HasSuffix(strings.TrimSpace(msg), string(Encode(r))), "the syslog message carries the record: %s", msg)
}

func TestSyslogUnavailableIsNotFatal(t *testing.T) {
	old := syslogDial
	syslogDial = func() (*syslog.Writer, error) {
		return syslog.Dial("unixgram", filepath.Join(t.TempDir(), "nobody-listens"), syslog.LOG_INFO, "x")
	}
	t.Cleanup(func() { syslogDial = old })
	l := openLog(t, Config{Syslog: true})
	require.NoError(t, l.Write(context.Background(), sample(0)), "the file is the record of truth")
}
