// Package verify checks Pegasus log files, log directories and whole data
// roots the way a Pegasus server would read them, and reports, for every
// finding, the file, the byte offset and what Pegasus does about it. It
// never opens anything for writing.
package verify

import (
	"encoding/json"
	"sort"

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

// All is every finding of the report: outside the log dirs, then each
// dir's, in order.
func (r *Report) All() []finding.Finding {
	all := append([]finding.Finding{}, r.Findings...)
	for _, d := range r.Dirs {
		all = append(all, d.Findings...)
	}
	return all
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
	Error      string        `json:"error,omitempty"`
	// ErrorOffset is the file offset of the first bad block (-1: none;
	// omitted from JSON then).
	ErrorOffset int64                    `json:"error_offset"`
	Header      *format.FileHeader       `json:"header,omitempty"`
	Gpids       map[gpid.Gpid]*GpidStats `json:"-"`
}

// The JSON shapes (docs/commands.md): lists are [] when empty, never null;
// per-gpid statistics are a list sorted by gpid numerically ("1.2" before
// "1.10"; encoding/json would sort map keys as strings); a field that does
// not apply is omitted rather than given a sentinel value.

// GpidEntry is one replica's statistics in a JSON gpids list.
type GpidEntry struct {
	Gpid gpid.Gpid `json:"gpid"`
	GpidStats
}

// SortedGpids lists m sorted by gpid.
func SortedGpids(m map[gpid.Gpid]*GpidStats) []GpidEntry {
	out := make([]GpidEntry, 0, len(m))
	for g, st := range m {
		out = append(out, GpidEntry{g, *st})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Gpid.Less(out[j].Gpid) })
	return out
}

// MarshalJSON prints findings as [] rather than null.
func (r Report) MarshalJSON() ([]byte, error) {
	type plain Report
	p := plain(r)
	if p.Dirs == nil {
		p.Dirs = []*DirReport{}
	}
	if p.Findings == nil {
		p.Findings = []finding.Finding{}
	}
	return json.Marshal(p)
}

// MarshalJSON prints gpids as a sorted list, and empty lists as [].
func (d DirReport) MarshalJSON() ([]byte, error) {
	type plain DirReport
	p := plain(d)
	if p.Files == nil {
		p.Files = []*FileReport{}
	}
	if p.Findings == nil {
		p.Findings = []finding.Finding{}
	}
	return json.Marshal(struct {
		plain
		Gpids []GpidEntry `json:"gpids"`
	}{p, SortedGpids(d.Gpids)})
}

// MarshalJSON omits error_offset when the file has no error.
func (f FileReport) MarshalJSON() ([]byte, error) {
	type plain FileReport
	out := struct {
		plain
		ErrorOffset *int64 `json:"error_offset,omitempty"`
	}{plain: plain(f)}
	if f.ErrorOffset >= 0 {
		out.ErrorOffset = &f.ErrorOffset
	}
	return json.Marshal(out)
}
