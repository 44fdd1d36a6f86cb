package core

import "time"

// Pre-authentication work that costs the server more than reading a
// message (QAP1's RSA decryption of a secure login) must happen only after
// the source address's failed-login limit allows an attempt: otherwise a
// client refused by the limiter would still make rwarden do the work.

// LoginAllowed reports whether a login from peer's address may be tried
// now; when not, retryAfter is how long until it may. It records nothing:
// the attempt names no user yet, so it takes no user's guess.
func (c *Core) LoginAllowed(peer Peer) (retryAfter time.Duration, ok bool) {
	at, ref := c.limiter.Begin("", peer.Remote)
	if ref != nil {
		return ref.Wait, false
	}
	at.Abandon()
	return 0, true
}

// LoginFailed records a failed login from peer's address that named no
// user (a secure login that does not decrypt or carries the wrong nonce),
// so that the address is slowed down like a guesser.
func (c *Core) LoginFailed(peer Peer) {
	if at, ref := c.limiter.Begin("", peer.Remote); ref == nil {
		at.Failed()
	}
}
