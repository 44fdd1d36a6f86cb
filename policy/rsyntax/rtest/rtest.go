// Package rtest runs R's own parser for the differential tests of
// rsyntax and policy/refs (static policy layer). It is test support: it
// executes Rscript with an embedded script (rparse.R) and reads back, for
// each input, R's syntax error or the getParseData() tokens that name
// functions and packages; it builds the deparse corpus of R's base
// packages, asks R whether a tree matches its own parse, and times R's
// parser for the benchmarks. Nothing is cached between runs.
//
// R 4.2.2 can hang in parse(keep.source = TRUE) after some earlier parses
// in the same process (it leaves a stale entry in its parse-data id table;
// see rparse.R). Parse watches R's progress and CPU use and restarts it where
// it stopped.
package rtest

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed rparse.R
var script []byte

// Packages is the deparse corpus: every package of R's base priority
// that has R functions (datasets has none). The six the policy cares
// most about come first.
var Packages = []string{
	"base", "stats", "utils", "methods", "graphics", "grDevices",
	"tools", "grid", "parallel", "compiler", "splines", "stats4", "tcltk",
}

// Token is a getParseData() row: SYMBOL_FUNCTION_CALL, SYMBOL_PACKAGE,
// NS_GET, NS_GET_INT, or STR_CONST for "f"(x). Text is the name or
// string value (backtick quoting and escapes removed).
type Token struct {
	Line, Col int
	Kind      string
	Text      string
}

// Result is R's verdict on one input.
type Result struct {
	// Err is set when R refuses the input. Line and Col are -1 when R's
	// message has no position (errors raised with error() in gram.y).
	Err      *Error
	Exprs    int
	Tokens   []Token
	Warnings []string
}

// Error is a parse error as R reports it.
type Error struct {
	Line, Col int
	Msg       string
}

// Rscript returns the path of Rscript, or an error when R is absent.
func Rscript() (string, error) {
	p, err := exec.LookPath("Rscript")
	if err != nil {
		return "", fmt.Errorf("finding Rscript: %w", err)
	}
	return p, nil
}

// run executes rparse.R with args in dir.
func run(ctx context.Context, dir string, args ...string) error {
	_, err := runOutput(ctx, dir, args...)
	return err
}

// runOutput executes rparse.R with args in dir and returns its stdout.
func runOutput(ctx context.Context, dir string, args ...string) (string, error) {
	r, err := startR(ctx, dir, args...)
	if err != nil {
		return "", err
	}
	return r.wait()
}

// rProcess is a running Rscript rparse.R.
type rProcess struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	what           string
}

// startR starts rparse.R with args in dir; ctx's end kills it.
func startR(ctx context.Context, dir string, args ...string) (*rProcess, error) {
	rs, err := Rscript()
	if err != nil {
		return nil, err
	}
	sp := filepath.Join(dir, "rparse.R")
	if err := os.WriteFile(sp, script, 0o600); err != nil {
		return nil, fmt.Errorf("writing rparse.R: %w", err)
	}
	r := &rProcess{what: args[0]}
	r.cmd = exec.CommandContext(ctx, rs, append([]string{"--vanilla", sp}, args...)...)
	// A UTF-8 locale, as the worker runs R: it decides how R's lexer
	// reads identifiers and counts columns.
	r.cmd.Env = append(os.Environ(), "LANG=C.UTF-8", "LC_ALL=C.UTF-8")
	r.cmd.Stdout, r.cmd.Stderr = &r.stdout, &r.stderr
	if err := r.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting Rscript rparse.R %s: %w", r.what, err)
	}
	return r, nil
}

// wait waits for R to end and returns its stdout.
func (r *rProcess) wait() (string, error) {
	if err := r.cmd.Wait(); err != nil {
		return "", fmt.Errorf("running Rscript rparse.R %s: %w: %s", r.what, err, r.stderr.String())
	}
	return r.stdout.String(), nil
}

// WriteRecords writes inputs as length-prefixed records.
func WriteRecords(path string, inputs []string) error {
	var b bytes.Buffer
	for _, s := range inputs {
		var n [4]byte
		binary.LittleEndian.PutUint32(n[:], uint32(len(s)))
		b.Write(n[:])
		b.WriteString(s)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		return fmt.Errorf("writing records %s: %w", path, err)
	}
	return nil
}

// ReadRecords reads what WriteRecords (or rparse.R) wrote.
func ReadRecords(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading records %s: %w", path, err)
	}
	var out []string
	for len(data) > 0 {
		if len(data) < 4 {
			return nil, fmt.Errorf("records %s: truncated length", path)
		}
		n := binary.LittleEndian.Uint32(data)
		data = data[4:]
		if uint64(n) > uint64(len(data)) {
			return nil, fmt.Errorf("records %s: record of %d bytes exceeds the file", path, n)
		}
		out = append(out, string(data[:n]))
		data = data[n:]
	}
	return out, nil
}

// Unquote reverses rparse.R's esc(): "..." with \xHH escapes.
func Unquote(s string) (string, error) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return "", fmt.Errorf("not a quoted string: %q", s)
	}
	s = s[1 : len(s)-1]
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			b.WriteByte(s[i])
			continue
		}
		if i+3 >= len(s) || s[i+1] != 'x' {
			return "", fmt.Errorf("bad escape in %q", s)
		}
		v, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
		if err != nil {
			return "", fmt.Errorf("bad escape in %q: %w", s, err)
		}
		b.WriteByte(byte(v))
		i += 3
	}
	return b.String(), nil
}

// readResults parses rparse.R's output; complete reports the final
// "END" line (R finished).
func readResults(path string) (out []Result, complete bool, err error) {
	ended := 0
	f, err := os.Open(path)
	if err != nil {
		return nil, false, fmt.Errorf("opening results: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "@ ") {
			out = append(out, Result{})
			continue
		}
		if line == "END" {
			complete = true
			continue
		}
		if line == "." {
			ended = len(out)
			continue
		}
		if len(out) == 0 {
			return nil, false, fmt.Errorf("results: line before first record: %q", line)
		}
		r := &out[len(out)-1]
		switch {
		case strings.HasPrefix(line, "! "):
			parts := strings.SplitN(line[2:], " ", 3)
			if len(parts) != 3 {
				return nil, false, fmt.Errorf("results: bad error line %q", line)
			}
			l, err1 := strconv.Atoi(parts[0])
			c, err2 := strconv.Atoi(parts[1])
			msg, err3 := Unquote(parts[2])
			if err := errors.Join(err1, err2, err3); err != nil {
				return nil, false, fmt.Errorf("results: bad error line %q: %w", line, err)
			}
			r.Err = &Error{Line: l, Col: c, Msg: msg}
		case strings.HasPrefix(line, "= "):
			if r.Exprs, err = strconv.Atoi(line[2:]); err != nil {
				return nil, false, fmt.Errorf("results: bad count %q: %w", line, err)
			}
		case strings.HasPrefix(line, "t "):
			parts := strings.SplitN(line[2:], " ", 4)
			if len(parts) != 4 {
				return nil, false, fmt.Errorf("results: bad token line %q", line)
			}
			l, err1 := strconv.Atoi(parts[0])
			c, err2 := strconv.Atoi(parts[1])
			txt, err3 := Unquote(parts[3])
			if err := errors.Join(err1, err2, err3); err != nil {
				return nil, false, fmt.Errorf("results: bad token line %q: %w", line, err)
			}
			r.Tokens = append(r.Tokens, Token{Line: l, Col: c, Kind: parts[2], Text: txt})
		case strings.HasPrefix(line, "w "):
			w, err := Unquote(line[2:])
			if err != nil {
				return nil, false, fmt.Errorf("results: bad warning %q: %w", line, err)
			}
			r.Warnings = append(r.Warnings, w)
		default:
			return nil, false, fmt.Errorf("results: unexpected line %q", line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, false, fmt.Errorf("reading results: %w", err)
	}
	// Only records R finished writing count.
	return out[:ended], complete, nil
}

// stallTimeout is how much CPU time R may spend without finishing a record
// before it is taken to be stuck (see parseOnce). A variable for the tests.
var stallTimeout = 20 * time.Second

// startedHook, when set (by the tests), is called with the pid of every R
// process that Parse starts.
var startedHook func(pid int)

// Parse runs R's parse(text = s) on every input, in as few R processes as
// possible. R 4.2.2 can loop forever in a parse that follows certain
// others in the same process (stale parse-data ids, see rparse.R); when R
// spins without making progress, Parse restarts it at the input it was
// stuck on, which a fresh process parses normally.
func Parse(ctx context.Context, inputs []string) ([]Result, error) {
	dir, err := os.MkdirTemp("", "rtest")
	if err != nil {
		return nil, fmt.Errorf("creating temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	var results []Result
	stuck := -1
	for len(results) < len(inputs) {
		done := len(results)
		res, finished, err := parseOnce(ctx, dir, inputs[done:])
		if err != nil {
			return nil, err
		}
		results = append(results, res...)
		if finished {
			break
		}
		if len(res) == 0 {
			if stuck == done {
				return nil, fmt.Errorf("rparse.R is stuck on input %d even in a fresh process", done)
			}
			stuck = done
		}
	}
	if len(results) != len(inputs) {
		return nil, fmt.Errorf("rparse.R returned %d results for %d inputs", len(results), len(inputs))
	}
	return results, nil
}

// parseOnce runs one R process on inputs and returns the results of the
// records it completed; finished reports that R got through all of them.
// A process that uses stallTimeout of CPU time without writing anything is
// killed. CPU time, not wall-clock time: R's hang is a busy loop, and on a
// loaded machine a healthy R (starting up, or parsing) can wait for a CPU
// far longer than any wall-clock allowance, which made a healthy process
// look stuck, twice in a row, and Parse fail. A process that neither
// progresses nor runs is left to ctx.
func parseOnce(ctx context.Context, dir string, inputs []string) (res []Result, finished bool, err error) {
	in, out := filepath.Join(dir, "in.bin"), filepath.Join(dir, "out.txt")
	if err := WriteRecords(in, inputs); err != nil {
		return nil, false, err
	}
	if err := os.WriteFile(out, nil, 0o600); err != nil {
		return nil, false, fmt.Errorf("creating %s: %w", out, err)
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r, err := startR(rctx, dir, "parse", in, out)
	if err != nil {
		return nil, false, err
	}
	pid := r.cmd.Process.Pid
	if startedHook != nil {
		startedHook(pid)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := r.wait()
		errc <- err
	}()
	var last int64 = -1
	var cpuAtChange time.Duration
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-errc:
			if err != nil {
				return nil, false, err
			}
			res, complete, err := readResults(out)
			if err != nil {
				return nil, false, err
			}
			if !complete || len(res) != len(inputs) {
				return nil, false, fmt.Errorf("rparse.R ended after %d of %d inputs", len(res), len(inputs))
			}
			return res, true, nil
		case <-tick.C:
			fi, err := os.Stat(out)
			if err != nil {
				return nil, false, fmt.Errorf("watching R's output: %w", err)
			}
			cpu, err := cpuTime(pid)
			if err != nil {
				// Not waited for yet, so the pid is R's: it has
				// exited between two looks, and errc says how.
				continue
			}
			if fi.Size() != last {
				last, cpuAtChange = fi.Size(), cpu
				continue
			}
			if cpu-cpuAtChange < stallTimeout {
				continue
			}
			cancel()
			<-errc
			res, _, err := readResults(out)
			if err != nil {
				return nil, false, err
			}
			return res, false, nil
		}
	}
}

// Deparse builds the deparse corpus of pkgs: the text of every closure
// that R parses back, with R's results for each.
func Deparse(ctx context.Context, pkgs []string) ([]string, []Result, error) {
	dir, err := os.MkdirTemp("", "rtest")
	if err != nil {
		return nil, nil, fmt.Errorf("creating temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	rec := filepath.Join(dir, "corpus.bin")
	if err := run(ctx, dir, "deparse", strings.Join(pkgs, ","), rec); err != nil {
		return nil, nil, err
	}
	texts, err := ReadRecords(rec)
	if err != nil {
		return nil, nil, err
	}
	res, err := Parse(ctx, texts)
	if err != nil {
		return nil, nil, err
	}
	return texts, res, nil
}

// DeparseCorpus deparses Packages in two R processes at once.
func DeparseCorpus(ctx context.Context) ([]string, []Result, error) {
	halves := [2][]string{}
	for i, p := range Packages {
		halves[i%2] = append(halves[i%2], p)
	}
	var (
		wg    sync.WaitGroup
		texts [2][]string
		res   [2][]Result
		errs  [2]error
	)
	for i := range halves {
		wg.Add(1)
		go func() {
			defer wg.Done()
			texts[i], res[i], errs[i] = Deparse(ctx, halves[i])
		}()
	}
	wg.Wait()
	if err := errors.Join(errs[0], errs[1]); err != nil {
		return nil, nil, err
	}
	return append(texts[0], texts[1]...), append(res[0], res[1]...), nil
}

// TimeParse returns the median time R takes for parse(text = src,
// keep.source = TRUE) plus getParseData() on the file at path, over n
// runs in one R process (after a warm-up).
func TimeParse(ctx context.Context, path string, n int) (time.Duration, error) {
	dir, err := os.MkdirTemp("", "rtest")
	if err != nil {
		return 0, fmt.Errorf("creating temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	abs, err := filepath.Abs(path)
	if err != nil {
		return 0, fmt.Errorf("resolving %s: %w", path, err)
	}
	out, err := runOutput(ctx, dir, "time", abs, strconv.Itoa(n))
	if err != nil {
		return 0, err
	}
	ns, err := strconv.ParseFloat(strings.TrimSpace(out), 64)
	if err != nil {
		return 0, fmt.Errorf("reading R's timing %q: %w", out, err)
	}
	return time.Duration(ns), nil
}

// Compare asks R whether each pair's two sources parse to identical()
// expressions. It returns, per pair, "" when they do and R's description
// of both otherwise.
func Compare(ctx context.Context, pairs [][2]string) ([]string, error) {
	dir, err := os.MkdirTemp("", "rtest")
	if err != nil {
		return nil, fmt.Errorf("creating temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	flat := make([]string, 0, 2*len(pairs))
	for _, p := range pairs {
		flat = append(flat, p[0], p[1])
	}
	in, out := filepath.Join(dir, "in.bin"), filepath.Join(dir, "out.txt")
	if err := WriteRecords(in, flat); err != nil {
		return nil, err
	}
	if err := run(ctx, dir, "compare", in, out); err != nil {
		return nil, err
	}
	f, err := os.Open(out)
	if err != nil {
		return nil, fmt.Errorf("opening compare results: %w", err)
	}
	defer f.Close()
	return readCompare(f, len(pairs))
}

func readCompare(r io.Reader, n int) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "@ "):
			out = append(out, "")
		case len(out) == 0:
			return nil, fmt.Errorf("compare results: line before first record: %q", line)
		case line == "same":
		default:
			out[len(out)-1] += line + "\n"
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading compare results: %w", err)
	}
	if len(out) != n {
		return nil, fmt.Errorf("compare results: %d records for %d pairs", len(out), n)
	}
	return out, nil
}
