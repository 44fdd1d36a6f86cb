// Package httpapi is rwarden's HTTP front end (listener protocol "http"):
// a JSON API over TLS on the session core (proxy/core), with live output
// as server-sent events. Like the framed and QAP1 front ends it is a thin
// adapter: it authenticates each request through the core (HTTP Basic
// against the users file, or the connection's verified client
// certificate), drives the core's sessions and evaluations, and renders
// the core's structured outcomes as JSON.
//
// Threat-model layer 1 (transport). Everything here comes from an
// unauthenticated peer ("attacker B" in DESIGN.md): request bodies are
// bounded before they are read, JSON is decoded strictly (unknown fields
// and trailing data are refused), names in paths are checked against a
// strict pattern and never become file paths, every read has a deadline,
// and session ids are 256-bit random values bound to the user who opened
// them (another user's id is answered 404, as an unknown one).
//
// Endpoints (docs/http.md and docs/openapi.yaml describe them in full):
//
//	POST   /v1/eval                             one-shot evaluation in a fresh session
//	POST   /v1/sessions                         open a session
//	POST   /v1/sessions/{id}/eval               evaluate in a session
//	DELETE /v1/sessions/{id}                    close a session
//	GET    /v1/sessions/{id}/plots/{n}.png|svg  a plot the session drew
//	PUT    /v1/sessions/{id}/files/{name}       a file into the session's scratch directory
//	GET    /v1/sessions/{id}/files/{name}       a file out of it
//	POST   /v1/sessions/{id}/data/{name}        a JSON or CSV table becomes a data frame
//	GET    /v1/sessions/{id}/data/{name}        a value as JSON, CSV or RDS
//
//	GET    /v1/audit                            audit records and chain state, admins only
//	POST   /ocpu/library/{pkg}/R/{fun}[/{format}]  OpenCPU-compatible call (ocpu.go)
//	GET    /ocpu/tmp/{key}/...                  its results: R/.val, stdout, console, graphics
//	GET    /                                    the browser console (console.go)
//
// With "Accept: text/event-stream" an evaluation answers with events
// (console, message, warning, plot, done or error), the console output
// sent as R produces it.
package httpapi
