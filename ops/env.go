package ops

import (
	"context"
	"io"

	"github.com/waltool/waltool/vfs"
)

// Env is what an operation takes from its caller besides its request.
type Env struct {
	// Ctx stops the operation (SIGINT, SIGTERM): reads through Read fail.
	Ctx context.Context
	// Out is where a stream goes (dump, replay --emit); Warn, the
	// warnings a report does not hold (a stale lock taken over).
	Out, Warn io.Writer
	// Read is what inputs are read through (read-only: a write through
	// it is impossible); Write, what --apply writes through.
	Read, Write vfs.FS
	// Bars make the progress bars (nil: none).
	Bars Bars
	// Done is called once the work is done and durable: an interrupt after
	// it no longer decides the outcome (nil: nothing to call).
	Done func()
	// CommandLine is the command line as a run's journal records it.
	CommandLine []string
	// Cleanup registers fn, which removes what the operation is creating,
	// to be run should the process be forced to exit before the operation
	// returns (a second signal); the func it returns unregisters fn. Nil:
	// nothing is registered.
	Cleanup func(fn func()) (unregister func())
}

// Bars make progress bars for the phases an operation reads or writes
// through; the caller decides whether and how to draw them.
type Bars interface {
	// Bytes is a bar over bytes read; Large, one for an operation that is
	// usually quick (shown only on a large input); Count, one counting
	// noun ("mutations").
	Bytes(what string, total int64) Bar
	Large(what string, total int64) Bar
	Count(what, noun string, total int64) Bar
}

// Bar is one progress bar.
type Bar interface {
	Add64(n int64)
	Set64(n int64)
	ChangeMax64(n int64)
	Finish()
}

type noBar struct{}

func (noBar) Add64(int64)       {}
func (noBar) Set64(int64)       {}
func (noBar) ChangeMax64(int64) {}
func (noBar) Finish()           {}

func (e *Env) bytes(what string, total int64) Bar {
	if e.Bars == nil {
		return noBar{}
	}
	return e.Bars.Bytes(what, total)
}

func (e *Env) large(what string, total int64) Bar {
	if e.Bars == nil {
		return noBar{}
	}
	return e.Bars.Large(what, total)
}

func (e *Env) count(what, noun string, total int64) Bar {
	if e.Bars == nil {
		return noBar{}
	}
	return e.Bars.Count(what, noun, total)
}

func (e *Env) cleanup(fn func()) (unregister func()) {
	if e.Cleanup == nil {
		return func() {}
	}
	return e.Cleanup(fn)
}

// done marks the work durable.
func (e *Env) done() {
	if e.Done != nil {
		e.Done()
	}
}

// read is Read (the read-only OS when unset), stopping with Ctx.
func (e *Env) read() vfs.FS {
	if e.Read == nil {
		return vfs.WithContext(e.ctx(), vfs.ReadOnly(vfs.OS))
	}
	return vfs.WithContext(e.ctx(), e.Read)
}

// readFS is Read without the context (what a report's later reads use).
func (e *Env) readFS() vfs.FS {
	if e.Read == nil {
		return vfs.ReadOnly(vfs.OS)
	}
	return e.Read
}

// writeFS is Write (the OS when unset).
func (e *Env) writeFS() vfs.FS {
	if e.Write == nil {
		return vfs.OS
	}
	return e.Write
}

// write is Write (the OS when unset), stopping with Ctx.
func (e *Env) write() vfs.FS { return vfs.WithContext(e.ctx(), e.writeFS()) }

// warn is Warn (nowhere when unset).
func (e *Env) warn() io.Writer {
	if e.Warn == nil {
		return io.Discard
	}
	return e.Warn
}

func (e *Env) ctx() context.Context {
	if e.Ctx == nil {
		return context.Background()
	}
	return e.Ctx
}

// stopped is the context's error once the operation was stopped.
func (e *Env) stopped() error { return e.ctx().Err() }
