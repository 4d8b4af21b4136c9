package migrate

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/vfs"
)

// Dirs are where a run found the root's logs: its slog dir and data dirs,
// as the plan stored in its journal records them (both plans have these
// fields). Resume, rollback and status open these, not what a later
// command line says: a resume given only ROOT would otherwise see the
// default data dir alone, find every replica of the others missing, and
// roll the run back (issue 18).
type Dirs struct {
	SlogDir     string   `json:"slog_dir"`
	DataDirs    []string `json:"data_dirs"`
	SlogArchive string   `json:"slog_archive,omitempty"`
}

// DirsOf reads the dirs of a run from its journal's plan.
func DirsOf(meta []byte) (Dirs, error) {
	var d Dirs
	if err := json.Unmarshal(meta, &d); err != nil {
		return Dirs{}, fmt.Errorf("migrate: the journal's plan does not decode: %w", err)
	}
	if d.SlogDir == "" {
		return Dirs{}, fmt.Errorf("migrate: the journal's plan names no slog dir")
	}
	return d, nil
}

// Open opens the root at path with the run's dirs, through fsys.
func (d Dirs) Open(fsys vfs.FS, path string) (*dataroot.Root, error) {
	return dataroot.OpenAt(fsys, path, d.SlogDir, d.DataDirs)
}

// Mismatch says how r's slog dir and data dirs differ from the run's
// ("" when they are the same set): what a resume or rollback refuses when
// the operator names other dirs than the run used.
func (d Dirs) Mismatch(r *dataroot.Root) string {
	var diffs []string
	if abs(r.SlogDir) != abs(d.SlogDir) {
		diffs = append(diffs, fmt.Sprintf("the slog dir %s, the run's is %s", r.SlogDir, d.SlogDir))
	}
	have, want := absAll(r.DataDirPaths()), absAll(d.DataDirs)
	if !slices.Equal(have, want) {
		diffs = append(diffs, fmt.Sprintf("the data dirs %s, the run's are %s", strings.Join(have, ","), strings.Join(want, ",")))
	}
	return strings.Join(diffs, "; ")
}

func abs(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return filepath.Clean(p)
}

func absAll(ps []string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = abs(p)
	}
	slices.Sort(out)
	return out
}
