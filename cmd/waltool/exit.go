package main

import (
	"errors"
	"fmt"
	"slices"

	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/internal/clikit"
)

// Exit codes, documented in docs/commands.md; scripts act on them.
const (
	exitOK          = 0   // nothing Pegasus would refuse was found
	exitFindings    = 1   // corruption, data that would be lost, mismatches, refusals they explain
	exitUsage       = 2   // bad arguments, unreadable input, I/O errors: the command could not do its job
	exitInterrupted = 130 // SIGINT or SIGTERM: stopped, and what the command was creating removed (128+SIGINT, as shells report it)
)

// exitOf is the one mapping from how a command ended to its exit status
// (docs/commands.md, "Exit status"), for every command:
//
//   - nil: 0;
//   - a usage error: 2;
//   - findings (a findingsError, a finding.Refused, or an error whose cause
//     is a located finding: the codec's damage, a replica the server
//     refuses): 1, what
//     Pegasus would refuse or lose, unless one of them is of class error
//     (waltool could not read: the answer is incomplete): 2;
//   - any other error (I/O, a held lock, a running server, short space): 2.
//
// (130, an interrupt, is runContext's: it is not an error of the command.)
func exitOf(err error) int {
	if err == nil {
		return exitOK
	}
	var u *clikit.UsageError
	if errors.As(err, &u) {
		return exitUsage
	}
	fs := findingsOf(err)
	var fe *findingsError
	var r *finding.Refused
	if !errors.As(err, &fe) && !errors.As(err, &r) && len(fs) == 0 {
		return exitUsage
	}
	for _, f := range fs {
		if f.Class == finding.Error {
			return exitUsage
		}
	}
	return exitFindings
}

// findingsError carries a result that is not a failure of the tool itself:
// the command ran and found something (exit 1), with the findings that
// explain it when the command's report does not hold them.
type findingsError struct {
	msg string
	fs  []finding.Finding
}

func (e *findingsError) Error() string { return e.msg }

func findings(format string, args ...any) error {
	return &findingsError{msg: fmt.Sprintf(format, args...)}
}

// refusal is a findings error explained by fs: a command that stops before
// its report at what Pegasus would refuse (exit 1, or 2 if one of them is
// waltool failing to read).
func refusal(fs []finding.Finding, format string, args ...any) error {
	return &findingsError{msg: fmt.Sprintf(format, args...), fs: fs}
}

// findingsOf is the findings that explain err: a findingsError's, or the
// located finding of its cause (the codec's *format.Error, a finding
// returned as an error) when it is one Pegasus acts on.
func findingsOf(err error) []finding.Finding {
	var fe *findingsError
	if errors.As(err, &fe) {
		return fe.fs
	}
	var r *finding.Refused
	if errors.As(err, &r) {
		return r.Findings
	}
	var f finding.Finding
	var l finding.Locator
	switch {
	case errors.As(err, &f):
	case errors.As(err, &l):
		f = l.Finding()
	default:
		return nil
	}
	if f.Class == finding.None {
		return nil
	}
	return []finding.Finding{f}
}

// verdict maps what a command found to its error (exitOf gives the
// status): a finding of class error (waltool could not read something:
// permissions, I/O) makes the answer incomplete, exit 2 whatever else was
// found; any other fatal finding, or ok false, is exit 1.
func verdict(ok bool, fss ...[]finding.Finding) error {
	for _, fs := range fss {
		for _, f := range fs {
			if f.Class == finding.Error {
				return fmt.Errorf("could not read everything, the answer is incomplete: %v", f)
			}
		}
	}
	if !ok {
		return findings("")
	}
	return nil
}

// appendNew appends to fs the findings of more it does not hold yet.
func appendNew(fs []finding.Finding, more ...finding.Finding) []finding.Finding {
	for _, m := range more {
		if !slices.ContainsFunc(fs, func(f finding.Finding) bool {
			return f.Class == m.Class && f.Path == m.Path && f.Offset == m.Offset && f.Message == m.Message
		}) {
			fs = append(fs, m)
		}
	}
	return fs
}
