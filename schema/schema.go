// Package schema is waltool's machine contract: the Go types of every
// document a command prints with --json, and the JSON Schema files that
// state them (v1/*.schema.json, embedded in Files). A script in any
// language reads the schema files; a Go program can decode into these
// types.
//
// The rules every document keeps (docs/json.md says them for operators):
//
//   - every top-level document, and every line of a JSON Lines stream,
//     opens with "schema": Version;
//   - a key has one meaning and one JSON type wherever it appears, and is
//     listed in v1/vocabulary.json; a path is "path" or ends in "_path"
//     ("_paths" for a list), a size in bytes is "bytes" or ends in
//     "_bytes", a decree is "decree" or ends in "_decree";
//   - no null, and no sentinel: a field that does not apply is omitted; a
//     list is [] when empty; a bool is always present; no number is
//     negative (outside a write's own "request");
//   - per-gpid data is a list of objects with a "gpid", sorted numerically;
//   - ok is true exactly when the exit status is 0, and "error" is present
//     exactly when it is 2 or 130 (the command could not do its job).
//
// A change that can break a script (a key removed, renamed or retyped, a
// meaning changed) bumps Version; adding a key does not.
package schema

import "embed"

// Version names this contract in every document's "schema" key.
const Version = "waltool/v1"

// Files holds the JSON Schema files of Version: defs.schema.json (the
// shared shapes), one <command>.schema.json per command, and
// vocabulary.json (every key, its type and meaning).
//
//go:embed v1/*.json
var Files embed.FS

// Envelope opens every top-level document. Every document type embeds it.
type Envelope struct {
	Schema string `json:"schema"`
	// Command is the command that printed the document: "verify",
	// "migrate upgrade", ... (absent only when the command line named
	// none that exists).
	Command string `json:"command,omitempty"`
	// OK is true exactly when ExitStatus is 0.
	OK bool `json:"ok"`
	// ExitStatus is the process's exit status: 0 done, 1 findings, 2
	// usage or I/O error, 130 interrupted (docs/commands.md).
	ExitStatus int `json:"exit_status"`
	// Reason says in one sentence why OK is false, when the command says
	// more than its findings do.
	Reason string `json:"reason,omitempty"`
	// Error is present exactly when ExitStatus is 2 or 130.
	Error *Error `json:"error,omitempty"`
}

// Head returns the envelope, for the printer to complete.
func (e *Envelope) Head() *Envelope { return e }

// Document is any top-level document.
type Document interface{ Head() *Envelope }

// Refusal is what a command prints when it stopped, before its report, at
// what Pegasus would refuse (exit 1): the envelope, its reason and the
// findings that explain it (a migrate whose slog the server refuses).
type Refusal struct {
	Envelope
	Findings []Finding `json:"findings"`
}

// Error is why a command could not do its job.
type Error struct {
	// Kind is "usage" (the command line), "failure" (I/O, a held lock, a
	// running server, short space: the command could not finish) or
	// "interrupted" (SIGINT, SIGTERM).
	Kind    string `json:"kind"`
	Message string `json:"message"`
	// Path is the file or dir the error is about, when there is one.
	Path string `json:"path,omitempty"`
	// Offset is the byte offset in Path, when the error has one.
	Offset *int64 `json:"offset,omitempty"`
}

// Error kinds.
const (
	KindUsage       = "usage"
	KindFailure     = "failure"
	KindInterrupted = "interrupted"
)

// Finding is one thing found, in every command's "findings" list.
type Finding struct {
	// Class says what Pegasus does about it: "warning", "torn-tail"
	// (tolerated), "missing" (evidence absent), "corrupt" (refused),
	// "error" (waltool could not read).
	Class   string `json:"class"`
	Path    string `json:"path"`
	Offset  *int64 `json:"offset,omitempty"`
	Gpid    string `json:"gpid,omitempty"`
	Message string `json:"message"`
}

// Range is a run of decrees, both ends inclusive.
type Range struct {
	First int64 `json:"first"`
	Last  int64 `json:"last"`
}

// ServerDirs are the dirs a command read a data root from, and where each
// came from.
type ServerDirs struct {
	Root     DirSource   `json:"root"`
	SlogDir  DirSource   `json:"slog_dir"`
	DataDirs []DirSource `json:"data_dirs"`
	// BlackListed are data dirs the black-list file excludes.
	BlackListed []DirSource `json:"black_listed"`
	// NoSlog: the operator stated the server has no slog (--no-slog).
	NoSlog bool `json:"no_slog"`
}

// DirSource is one dir and where it came from.
type DirSource struct {
	Path string `json:"path"`
	Tag  string `json:"tag,omitempty"`
	// Source is "config", "flag", "path" or "default".
	Source string `json:"source"`
	Detail string `json:"detail,omitempty"`
	// State is absent for a dir that was read, else "missing",
	// "unreadable", "not a directory" or "not read".
	State string `json:"state,omitempty"`
}
