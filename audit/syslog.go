package audit

import (
	"bytes"
	"fmt"
	"log/slog"
	"log/syslog"
	"sync"
)

// syslogDial connects to the local syslog daemon (or journald's syslog
// socket). A variable so that tests can point it at their own socket.
var syslogDial = func() (*syslog.Writer, error) {
	return syslog.New(syslog.LOG_AUTHPRIV|syslog.LOG_INFO, "rwarden-audit")
}

// syslogSink forwards committed records to syslog, best effort: the file is
// the record of truth, so a slow or absent syslog must never hold up or fail
// a commit. Batches are handed over on a bounded queue and dropped (and
// counted) when it is full.
type syslogSink struct {
	w       *syslog.Writer
	logger  *slog.Logger
	ch      chan []byte
	wg      sync.WaitGroup
	dropped int
}

const syslogQueue = 256

func newSyslogSink(logger *slog.Logger) (*syslogSink, error) {
	w, err := syslogDial()
	if err != nil {
		return nil, fmt.Errorf("connecting to syslog: %w", err)
	}
	s := &syslogSink{w: w, logger: logger, ch: make(chan []byte, syslogQueue)}
	s.wg.Add(1)
	go s.run()
	return s, nil
}

// send queues a copy of buf (whole lines). Called by the committer only.
func (s *syslogSink) send(buf []byte) {
	select {
	case s.ch <- bytes.Clone(buf):
	default:
		s.dropped++
		if s.dropped == 1 || s.dropped%1000 == 0 {
			s.logger.Warn("syslog copy of the audit trail is falling behind; batches dropped (the file is complete)",
				"dropped_batches", s.dropped)
		}
	}
}

func (s *syslogSink) run() {
	defer s.wg.Done()
	failed := false
	for buf := range s.ch {
		for _, line := range bytes.Split(bytes.TrimSuffix(buf, []byte{'\n'}), []byte{'\n'}) {
			if err := s.w.Info(string(line)); err != nil && !failed {
				failed = true
				s.logger.Warn("writing the audit trail to syslog failed (the file is complete)", "err", err)
			} else if err == nil {
				failed = false
			}
		}
	}
}

func (s *syslogSink) close() {
	close(s.ch)
	s.wg.Wait()
	_ = s.w.Close()
}
