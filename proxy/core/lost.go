package core

import (
	"errors"
	"fmt"
)

// A session keeps R state across requests (QAP1 objects, assignments).
// When its worker dies or is stopped by a limit, that state is gone; a
// fresh worker would silently continue with none of it, so the session
// refuses every later request instead, saying why.

// ErrStateLost is returned (wrapped, with the reason) for every request of
// a session whose R state was lost.
var ErrStateLost = errors.New("this session's R state was lost")

// markLost records why the state is gone (the first reason wins). The
// caller holds s.mu.
func (s *Session) markLost(why string) {
	if s.lost == "" {
		s.lost = why
		s.c.log.Info("session state lost", "session", s.sid, "user", s.id.User, "reason", why)
	}
}

// lostErr is the error of a lost session, nil otherwise. The caller holds
// s.mu.
func (s *Session) lostErr() error {
	if err := s.endedErr(); err != nil {
		return err
	}
	if s.lost == "" {
		return nil
	}
	return fmt.Errorf("%w: %s; its objects are gone, start a new session", ErrStateLost, s.lost)
}

// Lost returns a non-nil error wrapping ErrStateLost when the session's R
// state is gone: front ends that keep a session across requests end it.
func (s *Session) Lost() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lostErr()
}
