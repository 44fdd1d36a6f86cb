package mcpapi

// MaxSessionsPerUser exposes the bound to the external tests.
const MaxSessionsPerUser = maxSessionsPerUser
