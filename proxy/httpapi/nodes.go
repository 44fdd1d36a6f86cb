package httpapi

import (
	"fmt"
	"strings"
)

// Session ids name their node: "<node>.<random>" (node names are DNS
// labels, the random part is base64url: neither has a '.'). Behind a load
// balancer a session lives on the node that opened it; a request for it
// that reaches another node (the balancer re-balanced, or the node is
// gone) is answered with an error naming both nodes instead of a bare
// "not found", so the client knows to open a new session.

// sessionNode is the node an id names ("" for an id without one).
func sessionNode(id string) string {
	node, _, ok := strings.Cut(id, ".")
	if !ok {
		return ""
	}
	return node
}

// SessionMissing explains why the session id cannot be found here: it
// belongs to another node (reached through the load balancer while its
// node is gone or the balancer sent the request elsewhere), or this node
// has no such session (closed, expired, another user's, or lost when the
// node restarted). wrongNode reports the first case.
func (s *Server) SessionMissing(id string) (msg string, wrongNode bool) {
	here := s.core.Node()
	if node := sessionNode(id); node != "" && node != here && len(node) <= 63 {
		return fmt.Sprintf("session belongs to node %s, but this request reached node %s: "+
			"node %s is gone or the load balancer routed the request elsewhere; open a new session", clip(node), here, clip(node)), true
	}
	return fmt.Sprintf("no such session on node %s (closed, expired, or lost when the node restarted); open a new session", here), false
}

// clip bounds a name taken from a request for an answer; node names are
// DNS labels, anything else is not echoed in full.
func clip(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return "(invalid name)"
		}
	}
	return s
}
