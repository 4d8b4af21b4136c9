// Package verify checks Pegasus log files, log directories and whole data
// roots the way a Pegasus server would read them, and reports, for every
// finding, the file, the byte offset and what Pegasus does about it. It
// never opens anything for writing.
package verify

import (
	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
)

// Report is the result of a verification.
type Report struct {
	OK       bool              `json:"ok"`
	Dirs     []*DirReport      `json:"dirs"`
	Findings []finding.Finding `json:"findings"` // findings outside log dirs: metadata, orphans
	// ServerDirs are, per data root verified, its slog dir and data dirs
	// and where each came from (config, flag, path, default).
	ServerDirs []dataroot.Sources `json:"server_dirs,omitempty"`
}

// Kind of log directory.
type Kind string

const (
	Slog Kind = "slog"
	Plog Kind = "plog"
)

// DirReport describes one log directory.
type DirReport struct {
	Path  string     `json:"path"`
	Kind  Kind       `json:"kind"`
	Owner *gpid.Gpid `json:"owner,omitempty"` // the replica of a plog dir, when known
	// Gpids has per-replica statistics over the files' valid data.
	Gpids    map[gpid.Gpid]*GpidStats `json:"gpids"`
	Files    []*FileReport            `json:"files"`
	Ignored  []string                 `json:"ignored,omitempty"` // names Pegasus skips
	Findings []finding.Finding        `json:"findings"`
	// EndOffset is the global offset where the valid data of the log ends,
	// and where Pegasus would start its next file.
	EndOffset int64 `json:"end_offset"`
	Blocks    int   `json:"blocks"`
	Mutations int   `json:"mutations"`
	Bytes     int64 `json:"bytes"`
	OK        bool  `json:"ok"`
}

// GpidStats summarises one replica's mutations in a log.
type GpidStats struct {
	MinDecree int64 `json:"min_decree"`
	MaxDecree int64 `json:"max_decree"`
	Mutations int   `json:"mutations"`
	// LastIntactDecree is the highest decree of the replica that Pegasus
	// replays before the first damage that stops it (raft-engine's
	// last_intact_index); equal to MaxDecree in an intact log.
	LastIntactDecree int64 `json:"last_intact_decree"`
}

// FileReport describes one log file.
type FileReport struct {
	Name        string `json:"name"`
	Path        string `json:"path"`
	Index       int32  `json:"index"`
	StartOffset int64  `json:"start_offset"`
	// Status is the class of the file's first damage, finding.None
	// ("ok") for a clean file.
	Status     finding.Class `json:"status"`
	Blocks     int           `json:"blocks"`
	Mutations  int           `json:"mutations"`
	Bytes      int64         `json:"bytes"`       // file size
	ValidBytes int64         `json:"valid_bytes"` // length of the valid prefix
	Error      string        `json:"error"`
	// ErrorOffset is the file offset of the first bad block (-1: none).
	ErrorOffset int64                    `json:"error_offset"`
	Header      *format.FileHeader       `json:"header,omitempty"`
	Gpids       map[gpid.Gpid]*GpidStats `json:"-"`
}
