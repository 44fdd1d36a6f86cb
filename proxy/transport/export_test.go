package transport

// TLS12Suites exposes the offered TLS 1.2 suites to the external tests.
var TLS12Suites = tls12Suites
