package migrate

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/journal"
	"github.com/waltool/waltool/vfs"
)

// Listing is what the log dirs of a root held when a run was planned:
// every log file's name and size, per dir (the slog dir and every replica's
// plog dir). A rollback compares the root with it, because undoing a run
// after a server has written to the root would lose those writes: the
// folded files a rollback removes would leave a hole before the server's
// newer plog files, and a restored slog would miss every write since.
type Listing struct {
	Dirs map[string][]ListedFile `json:"dirs"`
}

// ListedFile is one log file of a Listing.
type ListedFile struct {
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// ListLogs lists the log dirs of root: names and sizes, no byte read.
func ListLogs(fsys vfs.FS, root *dataroot.Root) (*Listing, error) {
	l := &Listing{Dirs: map[string][]ListedFile{}}
	dirs := []string{root.SlogDir}
	for _, dr := range root.Replicas {
		dirs = append(dirs, dr.PlogDir)
	}
	for _, d := range dirs {
		if d == "" {
			continue
		}
		files, err := listDir(fsys, d)
		if err != nil {
			return nil, err
		}
		l.Dirs[d] = files
	}
	return l, nil
}

// listDir lists the log files of dir; a dir that does not exist has none.
func listDir(fsys vfs.FS, dir string) ([]ListedFile, error) {
	d, err := format.OpenDir(fsys, dir)
	if errors.Is(err, fs.ErrNotExist) {
		return []ListedFile{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("migrate: listing %s: %w", dir, err)
	}
	files := []ListedFile{}
	for _, f := range d.Files {
		files = append(files, ListedFile{Name: f.Name(), Size: f.Size})
	}
	return files, nil
}

// WrittenSince names the log files of the root that neither the listing
// nor the run st explains: a file that is new and was not created by one
// of the run's steps, a listed file whose size changed, or a file a step
// created whose size is not the one the step recorded. Those are a
// server's writes since the run was planned. A dir the run moved (a
// rebalance) is looked for where it is now, at its origin or its target.
func (l *Listing) WrittenSince(fsys vfs.FS, st journal.State) ([]string, error) {
	// created is the size of each file a step created, -1 while the step
	// is not done (no size recorded yet).
	created := map[string]int64{}
	moved := map[string]string{}
	for _, s := range st.Steps {
		switch s.Op {
		case journal.OpCreate:
			created[filepath.Clean(s.Path)] = -1
			if s.Done {
				created[filepath.Clean(s.Path)] = s.Size
			}
		case journal.OpMoveDir:
			moved[filepath.Clean(s.From)] = filepath.Clean(s.Path)
		}
	}
	var out []string
	dirs := make([]string, 0, len(l.Dirs))
	for d := range l.Dirs {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	for _, d := range dirs {
		before := map[string]int64{}
		for _, f := range l.Dirs[d] {
			before[f.Name] = f.Size
		}
		for _, at := range whereNow(d, moved) {
			now, err := listDir(fsys, at)
			if err != nil {
				return nil, err
			}
			for _, f := range now {
				size, listed := before[f.Name]
				made, isCreated := created[filepath.Join(d, f.Name)]
				switch {
				case !listed && !isCreated:
					out = append(out, fmt.Sprintf("%s: new (%d bytes)", filepath.Join(at, f.Name), f.Size))
				case !listed && made >= 0 && made != f.Size:
					// A server appends to the last plog file it finds,
					// which is a folded one.
					out = append(out, fmt.Sprintf("%s: %d bytes, %d when the run created it", filepath.Join(at, f.Name), f.Size, made))
				case listed && size != f.Size:
					out = append(out, fmt.Sprintf("%s: %d bytes, %d when the run was planned", filepath.Join(at, f.Name), f.Size, size))
				}
			}
		}
	}
	return out, nil
}

// whereNow is where the log dir d may be now: itself, and, when the run
// moved the replica dir holding it, the same dir under the move's target.
func whereNow(d string, moved map[string]string) []string {
	at := []string{d}
	for from, to := range moved {
		if rel, err := filepath.Rel(from, d); err == nil && rel != ".." && !filepath.IsAbs(rel) && (rel == "." || rel[:min(3, len(rel))] != "../") {
			at = append(at, filepath.Join(to, rel))
		}
	}
	return at
}
