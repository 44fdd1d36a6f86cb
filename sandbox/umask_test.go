package sandbox

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"golang.org/x/sys/unix"
)

// rwarden inherits its umask from whoever starts it; the packaged systemd
// unit sets UMask=0077. The directories of a worker's filesystem view must
// still be passable by the worker's uid, or it cannot even enter its
// scratch directory (found by starting the unit under systemd).
func TestWorkerStartsUnderRestrictiveUmask(t *testing.T) {
	needR(t)
	if os.Geteuid() != 0 {
		t.Skip("the view's directories are built for another uid only as root")
	}
	old := unix.Umask(0o077)
	t.Cleanup(func() { unix.Umask(old) })
	p := newTestPool(t, nil)
	res := run(t, p, testLimits(), `cat(file.exists(tempdir()), getwd() == Sys.getenv("HOME"), "\n")`)
	assert.Empty(t, res.Error)
	assert.Equal(t, "TRUE TRUE", strings.TrimSpace(string(res.Output)))
}
