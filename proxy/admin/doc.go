// Package admin is the admin API on the admin listener (/admin/v1/): list
// and end sessions, list users and roles, the policy reload status and the
// audit chain head, for an operator holding a client certificate of a user
// with the admin role. It is a thin HTTP adapter on the session core, which
// decides who is an administrator and audits every request (transport and
// authentication layers; the audit layer records each action).
package admin
