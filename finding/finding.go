// Package finding is the one vocabulary of the suite for what it finds:
// a class named after what the Pegasus server does about it, located by
// path and byte offset, tied to a replica when there is one, with the
// error that caused it. The codec's errors, dataroot's discovery, verify's
// checks, replay's verdicts, gc's blockers and migrate's mismatches are all
// findings, so one printer and one JSON shape serve every command.
package finding

import (
	"errors"
	"fmt"

	"github.com/waltool/waltool/gpid"
)

// Class says what Pegasus itself does about a finding, which is what an
// operator needs to know: Pegasus decides the class, not taste.
type Class int

const (
	// None is the class of something that has no finding (a clean file).
	None Class = iota
	// Warning: Pegasus opens the log or replica, but something deserves a
	// look.
	Warning
	// TornTail is an incomplete block header or body at the end of a file
	// (ERR_INCOMPLETE_DATA): Pegasus tolerates it at the end of the last
	// file, and in a middle file when the next file starts exactly where the
	// valid data ends (mutation_log::replay).
	TornTail
	// Missing: input the answer needs is not there (a slog dir, a data dir
	// the operator or the config names), so nothing can be called safe;
	// the layout's problem, not waltool's: exit 1, not 2.
	Missing
	// Corrupt: Pegasus refuses the log or the replica (ERR_INVALID_DATA:
	// the replica moves to .err, the slog open fails), loses data, or
	// aborts (a CHECK).
	Corrupt
	// Error: waltool could not read something it needs (permissions, I/O),
	// so it cannot say what Pegasus would do.
	Error
)

var names = [...]string{None: "ok", Warning: "warning", TornTail: "torn-tail", Missing: "missing", Corrupt: "corrupt", Error: "error"}

func (c Class) String() string {
	if c < 0 || int(c) >= len(names) {
		return fmt.Sprintf("class(%d)", int(c))
	}
	return names[c]
}

// Fatal reports whether the class makes an answer "not safe": Pegasus
// refuses something, evidence is missing, or waltool could not read.
func (c Class) Fatal() bool { return c == Missing || c == Corrupt || c == Error }

// MarshalText prints the class as its name in JSON.
func (c Class) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText parses a class name.
func (c *Class) UnmarshalText(b []byte) error {
	for i, n := range names {
		if n == string(b) {
			*c = Class(i)
			return nil
		}
	}
	return fmt.Errorf("finding: unknown class %q", b)
}

// Finding is one thing found, located as exactly as it can be. It is an
// error too, so a library can return it and a caller can errors.As it.
type Finding struct {
	// Class is printed "severity" in JSON, the name operators' scripts
	// already read.
	Class Class  `json:"severity"`
	Path  string `json:"path"`
	// Offset is the file offset of the first bad byte or block, -1 when the
	// finding is not about a position in a file.
	Offset int64      `json:"offset"`
	Gpid   *gpid.Gpid `json:"gpid,omitempty"`
	// Message says what is wrong and what Pegasus does about it, without
	// repeating the path and offset.
	Message string `json:"message"`
	// Err is the cause, when the finding comes from an error.
	Err error `json:"-"`
}

// New returns a finding about path that is not about a byte position.
func New(c Class, path, format string, args ...any) Finding {
	return Finding{Class: c, Path: path, Offset: -1, Message: fmt.Sprintf(format, args...)}
}

// At places the finding at a byte offset of its file.
func (f Finding) At(offset int64) Finding { f.Offset = offset; return f }

// For ties the finding to a replica.
func (f Finding) For(g gpid.Gpid) Finding { f.Gpid = &g; return f }

// Because records the cause.
func (f Finding) Because(err error) Finding { f.Err = err; return f }

func (f Finding) Error() string {
	s := f.Class.String() + ": " + f.Path
	if f.Offset >= 0 {
		s += fmt.Sprintf(" at offset %d", f.Offset)
	}
	if f.Gpid != nil {
		s += " (replica " + f.Gpid.String() + ")"
	}
	return s + ": " + f.Message
}

func (f Finding) Unwrap() error { return f.Err }

// Locator is implemented by errors that know where they happened (the
// codec's *format.Error); From turns them into findings.
type Locator interface {
	error
	Finding() Finding
}

// From makes a finding of err: the one an error in its chain carries
// (a Finding or a Locator), or else an Error-class finding about path,
// since an error nobody located is waltool failing to read.
func From(err error, path string) Finding {
	var f Finding
	if errors.As(err, &f) {
		return f
	}
	var l Locator
	if errors.As(err, &l) {
		f = l.Finding()
		f.Err = err
		return f
	}
	return Finding{Class: Error, Path: path, Offset: -1, Message: err.Error(), Err: err}
}

// Worst is the most severe class among fs (None when empty).
func Worst(fs []Finding) Class {
	w := None
	for _, f := range fs {
		w = max(w, f.Class)
	}
	return w
}

// Fatals keeps the findings that make an answer unsafe, in order; never nil.
func Fatals(fs []Finding) []Finding {
	out := []Finding{}
	for _, f := range fs {
		if f.Class.Fatal() {
			out = append(out, f)
		}
	}
	return out
}

// AnyFatal reports whether one of fs is Missing, Corrupt or Error.
func AnyFatal(fs []Finding) bool {
	for _, f := range fs {
		if f.Class.Fatal() {
			return true
		}
	}
	return false
}

// Refused is an error explained by findings: a library that stops at what
// Pegasus would refuse (a slog the server cannot replay, an abort) returns
// it, so that its caller reports each finding, located, and classes the
// outcome by them (what Pegasus refuses is a finding, waltool unable to
// read is an error).
type Refused struct {
	Msg      string
	Findings []Finding
}

func (r *Refused) Error() string { return r.Msg }
