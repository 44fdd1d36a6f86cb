package e2e

import (
	"bytes"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 14: failed TLS handshakes are counted in a metric by reason and
// logged at info (the default level) with their reason, rate-limited: a
// flood of them does not flood the log.
func TestE2ETLSHandshakeFailuresCountedAndLogged(t *testing.T) {
	e := startAudit(t, "", "")
	const flood = 40
	for i := range flood {
		c, err := net.Dial("tcp", e.tlsAddr)
		require.NoError(t, err)
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if i%2 == 0 {
			_, _ = c.Write(bytes.Repeat([]byte{0x16, 0x03, 0x01, 0xff, 0xff}, 100)) // garbage records
		} else {
			_, _ = c.Write([]byte("UTF-8\n")) // plaintext to the TLS port
		}
		_, _ = c.Read(make([]byte, 64)) // until the server closes
		c.Close()
	}

	byReason := map[string]float64{}
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + e.admin + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		parser := expfmt.NewTextParser(model.LegacyValidation)
		families, err := parser.TextToMetricFamilies(resp.Body)
		if err != nil {
			return false
		}
		byReason = map[string]float64{}
		total := 0.0
		for _, m := range families["rwarden_tls_handshake_failures_total"].GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" {
					byReason[l.GetValue()] += m.GetCounter().GetValue()
					total += m.GetCounter().GetValue()
				}
			}
		}
		return total == flood
	}, 10*time.Second, 100*time.Millisecond, "every failed handshake is counted: %v", byReason)
	assert.NotContains(t, byReason, "", "each has a reason")
	t.Logf("failures by reason: %v", byReason)

	logged := strings.Count(e.srv.log.String(), "msg=\"TLS handshake failed\"")
	assert.Positive(t, logged, "logged at the default level:\n%s", e.srv.log.String())
	assert.Less(t, logged, flood, "rate-limited")
	assert.Contains(t, e.srv.log.String(), "level=INFO msg=\"TLS handshake failed\"")
	assert.Contains(t, e.srv.log.String(), "reason=")
}
