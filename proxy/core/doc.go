// Package core is rwarden's session core: the only package that joins the
// inner layers, which never import each other: authentication (auth),
// static policy (policy), the runtime restriction and OS sandbox of the
// workers (sandbox) and the audit trail (audit). It knows identities,
// sessions, evaluations and outcomes, never wire formats: every protocol
// front end (proxy/framed, proxy/qap1) drives the same small API and
// renders the structured outcomes itself.
//
//	c, _ := core.Open(ctx, cfg, core.Options{})       // audit, users, policy, workers
//	id, err := c.Authenticate(ctx, peer, creds)        // peer: a transport.Peer, no net.Conn
//	s, err := c.OpenSession(ctx, id, peer)             // per-user session limit, audited
//	out := s.Evaluate(ctx, code, core.EvalOptions{Stream: func(ev core.Event) { ... }})
//	err = s.Assign(ctx, name, serialized)              // data only, audited
//	err = s.SetErrorMessage(ctx, msg)                  // geterrmessage()
//	c.Refuse(ctx, core.Refusal{Peer: peer, What: "CMD_shutdown", Reason: "..."})
//	s.Close()
//
// Every evaluation and assignment is recorded before its answer is given;
// when the audit trail cannot be written the core refuses (fail closed).
package core
