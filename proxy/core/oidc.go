package core

import "context"

type oidcVerifier struct{}

func (c *Core) oidcIdentity(ctx context.Context, tok string, peer Peer) (Identity, error) {
	return Identity{}, &AuthError{Message: "the bearer token was not accepted", Reason: "not an API token and no OIDC on this listener"}
}
