// Package packaging holds the Debian package definition, the systemd unit,
// the packaged configuration and the Dockerfile, and no code: its test
// lints the Dockerfile (which cannot be built on the project's machine) and
// checks that the image has the package's layout and defaults.
package packaging
