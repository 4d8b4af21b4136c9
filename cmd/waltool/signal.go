package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/waltool/waltool/ops"
	"github.com/waltool/waltool/vfs"
)

// stopGrace is how long a command has, after SIGINT or SIGTERM, to stop by
// itself (every long loop watches the context) and remove what it was
// creating; then the process removes it and exits anyway.
const stopGrace = 800 * time.Millisecond

// cleanups are what the running command was creating, removed on a forced
// exit (see onInterrupt). Commands remove the same paths themselves when
// they stop: removal is idempotent.
var cleanups struct {
	sync.Mutex
	next int
	fns  map[int]func()
}

// onInterrupt registers fn to remove what the command is creating if the
// process is forced to exit before the command returns; the returned func
// unregisters it.
func onInterrupt(fn func()) (done func()) {
	cleanups.Lock()
	defer cleanups.Unlock()
	if cleanups.fns == nil {
		cleanups.fns = map[int]func(){}
	}
	id := cleanups.next
	cleanups.next++
	cleanups.fns[id] = fn
	return func() {
		cleanups.Lock()
		defer cleanups.Unlock()
		delete(cleanups.fns, id)
	}
}

// removeOnInterrupt registers path (a directory the command is creating)
// for removal, as onInterrupt.
func removeOnInterrupt(path string) (done func()) {
	return onInterrupt(func() { vfs.RemoveAll(vfs.OS, path) })
}

// removeNewOnInterrupt registers the removal of the entries of dir whose
// names match pattern (filepath.Match) and that do not exist now: what a
// command is about to create there.
func removeNewOnInterrupt(dir, pattern string) (done func()) {
	before := map[string]bool{}
	old, _ := filepath.Glob(filepath.Join(dir, pattern))
	for _, p := range old {
		before[p] = true
	}
	return onInterrupt(func() {
		now, _ := filepath.Glob(filepath.Join(dir, pattern))
		for _, p := range now {
			if !before[p] {
				vfs.RemoveAll(vfs.OS, p)
			}
		}
	})
}

func removeRegistered() {
	cleanups.Lock()
	defer cleanups.Unlock()
	for _, fn := range cleanups.fns {
		fn()
	}
}

// doneKey keys the flag markDone sets in a command's context.
type doneKey struct{}

// withDone returns ctx carrying the flag markDone sets, and the flag; a
// ctx that already carries one (signalContext's) keeps it.
func withDone(ctx context.Context) (context.Context, *atomic.Bool) {
	if f, ok := ctx.Value(doneKey{}).(*atomic.Bool); ok {
		return ctx, f
	}
	f := new(atomic.Bool)
	return context.WithValue(ctx, doneKey{}, f), f
}

// markDone records that the command's writes are done, durable and proven
// (a migration run finished and proven, or rolled back; gc --apply's plan
// carried out in full): from then on a SIGINT or SIGTERM changes nothing
// on disk, so the exit status is the command's own result (runContext)
// and the grace period no longer forces an exit (signalContext). An exit
// 130 then would send the operator to resume a run that is finished.
func markDone(ctx context.Context) {
	if f, ok := ctx.Value(doneKey{}).(*atomic.Bool); ok {
		f.Store(true)
	}
}

// signalContext is cancelled by the first SIGINT or SIGTERM. A command
// that has not returned stopGrace later, or a second signal, removes what
// the command registered and exits 130; once the command's work is done
// (markDone), only a second signal does.
func signalContext() (context.Context, func()) {
	ctx, done := withDone(context.Background())
	ctx, cancel := context.WithCancel(ctx)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		cancel()
		select {
		case <-sigs:
		case <-time.After(stopGrace):
			if done.Load() {
				<-sigs // it is only reporting what it did
			}
		}
		removeRegistered()
		if done.Load() {
			os.Stderr.WriteString("waltool: interrupted while reporting; the work was done and is durable\n")
		} else {
			os.Stderr.WriteString("waltool: interrupted\n")
		}
		os.Exit(ops.ExitInterrupted)
	}()
	return ctx, func() { signal.Stop(sigs); cancel() }
}

// cancelFS makes every read through fsys fail with the context's error
// once ctx is cancelled (vfs.WithContext).
func cancelFS(ctx context.Context, fsys vfs.FS) vfs.FS { return vfs.WithContext(ctx, fsys) }
