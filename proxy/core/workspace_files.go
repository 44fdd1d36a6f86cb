package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/rwarden/rwarden/audit"
	"github.com/rwarden/rwarden/policy"
	"github.com/rwarden/rwarden/sandbox"
)

// Workspace files from outside R: listing, download and upload of the
// files of a user's own workspace (rwarden files, QAP1's file commands),
// for users whose policy grants files:workspace. Only plain file names at
// the top of the workspace are accepted: no directories, no paths, no
// names starting with a dot; nothing is followed through a symlink.

// ErrFilesDenied is returned when the user's policy does not grant
// files:workspace or workspaces are off.
var ErrFilesDenied = errors.New("workspace file access is not granted")

// fileNameRE is what a workspace file may be called from outside R.
var fileNameRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._+-]{0,254}$`)

// WorkspaceFile is one file of a workspace.
type WorkspaceFile struct {
	Name     string
	Size     int64
	Modified time.Time
}

// Workspace is one user's workspace, opened by Core.Workspace.
type Workspace struct {
	c     *Core
	id    Identity
	peer  Peer
	dir   string
	quota int64
	limit int64 // the user's data limit: the largest upload
}

// Workspace opens id's workspace for file access, if workspaces are on
// and the user's policy grants files:workspace (audited when refused).
// what names the request in the refusal's audit record ("files",
// "CMD_openFile").
func (c *Core) Workspace(ctx context.Context, id Identity, peer Peer, what string) (*Workspace, error) {
	why := ""
	if !c.cfg.Data.Workspace.Enabled {
		why = "workspaces are not configured (data.workspace.enabled)"
	} else if ex, err := c.policy.Explain(id.User, policy.FilesWorkspace, policy.ActCall); err != nil {
		why = err.Error()
	} else if !ex.Allowed {
		why = "the policy does not grant " + policy.FilesWorkspace
	}
	if why != "" {
		_ = c.Refuse(ctx, Refusal{Peer: peer, Identity: &id, What: what, Reason: why})
		return nil, fmt.Errorf("%w: %s", ErrFilesDenied, why)
	}
	dir, err := EnsureWorkspace(c.cfg, id.User)
	if err != nil {
		return nil, err
	}
	return &Workspace{c: c, id: id, peer: peer, dir: dir, quota: c.cfg.WorkspaceQuota(),
		limit: c.LimitsFor(id.User).Data}, nil
}

// checkName refuses anything but a plain file name.
func checkName(name string) error {
	if !fileNameRE.MatchString(name) {
		return fmt.Errorf("%q is not a plain file name (letters, digits, _ . + -; no directories, not starting with a dot)", name)
	}
	return nil
}

// audit records one file operation like an evaluation (op=files_*).
func (w *Workspace) audit(ctx context.Context, op, name string, n int64, opErr error) error {
	rec := newRecord(audit.EventEval, w.peer, &w.id, "")
	rec.Detail = map[string]string{"op": op, "name": clip(name, 256), "bytes": strconv.FormatInt(n, 10)}
	rec.Decision, rec.Status = DecisionAllowed, "ok"
	if opErr != nil {
		rec.Decision, rec.Status, rec.Error = DecisionError, "error", clip(opErr.Error(), 4096)
	}
	if err := w.c.audit.Write(ctx, rec); err != nil {
		w.c.metrics.auditFailures.Inc()
		return fmt.Errorf("%w: %v", ErrAuditUnavailable, err)
	}
	return nil
}

// List returns the workspace's regular files, by name.
func (w *Workspace) List(ctx context.Context) ([]WorkspaceFile, error) {
	ents, err := os.ReadDir(w.dir)
	if err != nil {
		return nil, fmt.Errorf("listing workspace: %w", err)
	}
	var out []WorkspaceFile
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		out = append(out, WorkspaceFile{Name: e.Name(), Size: info.Size(), Modified: info.ModTime()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if err := w.audit(ctx, "files_ls", "", int64(len(out)), nil); err != nil {
		return nil, err
	}
	return out, nil
}

// Open opens a workspace file for download; the caller closes it.
func (w *Workspace) Open(ctx context.Context, name string) (*os.File, int64, error) {
	f, size, err := w.open(name)
	if aerr := w.audit(ctx, "files_get", name, size, err); aerr != nil {
		if f != nil {
			f.Close()
		}
		return nil, 0, aerr
	}
	return f, size, err
}

func (w *Workspace) open(name string) (*os.File, int64, error) {
	if err := checkName(name); err != nil {
		return nil, 0, err
	}
	fd, err := unix.Open(filepath.Join(w.dir, name), unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, 0, fmt.Errorf("opening %s: %w", name, err)
	}
	f := os.NewFile(uintptr(fd), name)
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, fmt.Errorf("%s is not a regular file", name)
	}
	return f, st.Size(), nil
}

// Put stores size bytes from r as the workspace file name, replacing it:
// refused before reading when size exceeds the user's data limit or the
// workspace's quota would be exceeded; written to a temporary file first
// and renamed, so that a failed upload leaves the old file.
func (w *Workspace) Put(ctx context.Context, name string, r io.Reader, size int64) error {
	err := w.put(name, r, size)
	if aerr := w.audit(ctx, "files_put", name, size, err); aerr != nil {
		return aerr
	}
	return err
}

func (w *Workspace) put(name string, r io.Reader, size int64) error {
	if err := checkName(name); err != nil {
		return err
	}
	if size < 0 || size > w.limit {
		return fmt.Errorf("an upload of %d bytes exceeds the data limit of %d bytes (limits.*.data)", size, w.limit)
	}
	used := sandbox.DirUsage(w.dir)
	if old, err := os.Lstat(filepath.Join(w.dir, name)); err == nil && old.Mode().IsRegular() {
		used -= old.Size()
	}
	if used+size > w.quota {
		return fmt.Errorf("the workspace holds %d bytes; %d more would exceed its quota of %d bytes", used, size, w.quota)
	}
	f, tmp, err := w.createTemp()
	if err != nil {
		return err
	}
	n, err := io.CopyN(f, r, size)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil || n != size {
		os.Remove(tmp)
		return fmt.Errorf("upload of %s ended after %d of %d bytes: %v", name, n, size, err)
	}
	if err := os.Rename(tmp, filepath.Join(w.dir, name)); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("storing %s: %w", name, err)
	}
	return nil
}

// Upload is a workspace file being written piece by piece (QAP1's
// CMD_createFile and CMD_writeFile): a temporary file renamed into place
// by Close, bounded by the user's data limit and the workspace quota as
// it grows.
type Upload struct {
	w        *Workspace
	name     string
	tmp      string
	f        *os.File
	written  int64
	room     int64 // bytes the quota and the data limit still allow
	failed   error
	finished bool
}

// Create starts writing the workspace file name.
func (w *Workspace) Create(ctx context.Context, name string) (*Upload, error) {
	if err := checkName(name); err != nil {
		_ = w.audit(ctx, "files_put", name, 0, err)
		return nil, err
	}
	used := sandbox.DirUsage(w.dir)
	if old, err := os.Lstat(filepath.Join(w.dir, name)); err == nil && old.Mode().IsRegular() {
		used -= old.Size()
	}
	f, tmp, err := w.createTemp()
	if err != nil {
		return nil, err
	}
	return &Upload{w: w, name: name, tmp: tmp, f: f, room: min(w.limit, w.quota-used)}, nil
}

// createTemp creates a new hidden file in the workspace, never following a
// symlink.
func (w *Workspace) createTemp() (*os.File, string, error) {
	tmp := filepath.Join(w.dir, ".upload-"+strconv.FormatInt(time.Now().UnixNano(), 36))
	mode := uint32(0o600)
	if os.Geteuid() == 0 {
		mode = 0o666 // each session of the user runs under another uid (EnsureWorkspace)
	}
	fd, err := unix.Open(tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, mode)
	if err != nil {
		return nil, "", fmt.Errorf("creating upload: %w", err)
	}
	_ = unix.Fchmod(fd, mode)
	return os.NewFile(uintptr(fd), tmp), tmp, nil
}

// Write appends p, refusing (for good) what would exceed the quota or the
// data limit.
func (u *Upload) Write(p []byte) (int, error) {
	if u.failed != nil {
		return 0, u.failed
	}
	if int64(len(p)) > u.room-u.written {
		u.failed = fmt.Errorf("writing %s: %d more bytes would exceed the workspace quota of %d bytes or the data limit of %d bytes",
			u.name, len(p), u.w.quota, u.w.limit)
		return 0, u.failed
	}
	n, err := u.f.Write(p)
	u.written += int64(n)
	if err != nil {
		u.failed = fmt.Errorf("writing %s: %w", u.name, err)
	}
	return n, u.failed
}

// Close stores the file (or, after a failed write, drops it) and audits it.
func (u *Upload) Close(ctx context.Context) error {
	if u.finished {
		return nil
	}
	u.finished = true
	err := u.f.Close()
	if u.failed != nil {
		err = u.failed
	}
	if err == nil {
		err = os.Rename(u.tmp, filepath.Join(u.w.dir, u.name))
	}
	if err != nil {
		os.Remove(u.tmp)
	}
	if aerr := u.w.audit(ctx, "files_put", u.name, u.written, err); aerr != nil {
		return aerr
	}
	return err
}

// Abort drops an upload that was not closed (the connection ended).
func (u *Upload) Abort() {
	if u.finished {
		return
	}
	u.finished = true
	u.f.Close()
	os.Remove(u.tmp)
}

// Remove deletes the workspace file name.
func (w *Workspace) Remove(ctx context.Context, name string) error {
	err := checkName(name)
	if err == nil {
		// unlink never follows a symlink in its last component.
		err = unix.Unlinkat(unix.AT_FDCWD, filepath.Join(w.dir, name), 0)
	}
	if aerr := w.audit(ctx, "files_rm", name, 0, err); aerr != nil {
		return aerr
	}
	return err
}
