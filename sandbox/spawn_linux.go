package sandbox

import (
	"os/exec"
	"runtime"
	"sync"
)

// The parent-death signal of a child is tied to the *thread* that forked it,
// not to the process: if that thread exits, the child is killed although
// rwarden lives. Every worker is therefore started from one OS thread that is
// locked for the life of the process and never exits.
var (
	spawnOnce sync.Once
	spawnReqs chan spawnReq
)

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

func startOnSpawnerThread(cmd *exec.Cmd) error {
	spawnOnce.Do(func() {
		spawnReqs = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread lives as long as rwarden
			for r := range spawnReqs {
				r.done <- r.cmd.Start()
			}
		}()
	})
	done := make(chan error, 1)
	spawnReqs <- spawnReq{cmd: cmd, done: done}
	return <-done
}
