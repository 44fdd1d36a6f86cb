package httpapi

import (
	"encoding/json"
	"net/http"
)

// apiError is the body of every answer that is not a result: a stable
// code for programs and a sentence for people.
type apiError struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	// Violations are the policy's reasons for a denial (403).
	Violations []violation `json:"violations,omitempty"`
}

// violation is one reason the policy denied code.
type violation struct {
	Function string `json:"function"`
	Act      string `json:"act"`
	Line     int    `json:"line"`
	Col      int    `json:"col"`
	Rule     string `json:"rule"`
	Hint     string `json:"hint,omitempty"`
}

func writeError(w http.ResponseWriter, status int, code, msg string, vs []violation) {
	writeJSON(w, status, apiError{Error: code, Message: msg, Violations: vs})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
