package httpapi

import "net/http"

// consoleHeader marks the browser console's requests. Their 401 answers
// carry no WWW-Authenticate challenge: the console asks for credentials
// itself, and a challenge would make the browser show its own login
// dialog and then cache what was typed there, attaching it to later
// requests, cross-site forms included, which is what the console avoids
// by keeping credentials in script memory only.
const consoleHeader = "X-Rwarden-Console"

func noChallenge(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get(consoleHeader) == "1" {
			w = &noChallengeWriter{ResponseWriter: w}
		}
		h.ServeHTTP(w, r)
	})
}

type noChallengeWriter struct{ http.ResponseWriter }

func (w *noChallengeWriter) WriteHeader(status int) {
	if status == http.StatusUnauthorized {
		w.Header().Del("WWW-Authenticate")
	}
	w.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the connection (deadlines,
// flushing of server-sent events).
func (w *noChallengeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
