// Package kubernetes holds rwarden's Kubernetes manifests (the YAML files
// in this directory) and no code: its test decodes every manifest strictly
// with the Kubernetes API types and checks them against rwarden's own
// configuration validation, the systemd unit and the container image.
package kubernetes
