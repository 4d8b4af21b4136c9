package format

import (
	"path/filepath"
	"sort"

	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/vfs"
)

// Dir is a log directory (a plog dir or the slog dir) as mutation_log::open
// sees it: the regular files whose names parse, by ascending index.
type Dir struct {
	Path    string
	Files   []LogFile
	Ignored []string // entries Pegasus skips: bad names (log.1.0.removed), sub-directories
	// DuplicateIndex names two files with one index; Pegasus CHECK-aborts.
	DuplicateIndex error
}

// OpenDir lists a log directory through fsys. It only reads the directory.
func OpenDir(fsys vfs.FS, path string) (*Dir, error) {
	ents, err := fsys.ReadDir(path)
	if err != nil {
		return nil, err
	}
	d := &Dir{Path: path}
	seen := map[int32]string{}
	for _, e := range ents {
		name := e.Name()
		if !e.Type().IsRegular() {
			d.Ignored = append(d.Ignored, name)
			continue
		}
		idx, start, err := ParseFileName(name)
		if err != nil {
			d.Ignored = append(d.Ignored, name)
			continue
		}
		info, err := e.Info()
		if err != nil {
			return nil, err
		}
		if prev, dup := seen[idx]; dup && d.DuplicateIndex == nil {
			d.DuplicateIndex = finding.New(finding.Corrupt, path, "files %s and %s share index %d (Pegasus aborts)", prev, name, idx)
		}
		seen[idx] = name
		d.Files = append(d.Files, LogFile{Path: filepath.Join(path, name), Index: idx, StartOffset: start, Size: info.Size()})
	}
	sort.Slice(d.Files, func(i, j int) bool { return d.Files[i].Index < d.Files[j].Index })
	return d, nil
}
