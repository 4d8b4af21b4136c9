package format

import (
	"io/fs"
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
	// NotRegular are entries named like log files that are not regular
	// files (after following symlinks, as Pegasus's get_subfiles does):
	// they are never opened.
	NotRegular []NotRegular
	// DuplicateIndex names two files with one index; Pegasus CHECK-aborts.
	DuplicateIndex error
}

// NotRegular is an entry named like a log file that is not a regular file.
type NotRegular struct {
	Name string
	// Type is the type of what the name leads to (fs.ModeDir,
	// fs.ModeNamedPipe, fs.ModeDevice, ...); fs.ModeSymlink for a dangling
	// symlink or a loop.
	Type fs.FileMode
}

// PegasusOpens reports whether Pegasus's mutation_log::open would try to
// read it as a log: utils::filesystem::get_subfiles walks with nftw without
// FTW_PHYS and keeps every FTW_F entry, which glibc gives to anything that
// is neither a directory nor a symlink (after following it): a FIFO (its
// open blocks), a device or a socket. Directories (FTW_D) and dangling
// symlinks (FTW_SLN) are skipped.
func (n NotRegular) PegasusOpens() bool {
	return n.Type&(fs.ModeDir|fs.ModeSymlink) == 0
}

// OpenDir lists a log directory through fsys. It only reads the directory.
// Symlinks are followed, as Pegasus follows them; only regular files are
// ever listed in Files, so no reader opens a FIFO or a device.
func OpenDir(fsys vfs.FS, path string) (*Dir, error) {
	ents, err := fsys.ReadDir(path)
	if err != nil {
		return nil, err
	}
	d := &Dir{Path: path}
	seen := map[int32]string{}
	for _, e := range ents {
		name := e.Name()
		idx, start, err := ParseFileName(name)
		if err != nil {
			d.Ignored = append(d.Ignored, name)
			continue
		}
		typ := e.Type()
		var info fs.FileInfo
		if typ.IsRegular() || typ&fs.ModeSymlink != 0 {
			info, err = fsys.Stat(filepath.Join(path, name))
			switch {
			case err == nil:
				typ = info.Mode().Type()
			case typ&fs.ModeSymlink != 0:
				// Dangling, a loop, or unreadable: Pegasus's nftw sees FTW_SLN
				// or FTW_NS and skips it.
				info = nil
			default:
				return nil, err
			}
		}
		if info == nil || !typ.IsRegular() {
			d.NotRegular = append(d.NotRegular, NotRegular{Name: name, Type: typ})
			continue
		}
		if prev, dup := seen[idx]; dup && d.DuplicateIndex == nil {
			d.DuplicateIndex = finding.New(finding.Corrupt, path, "files %s and %s share index %d: Pegasus aborts "+
				"(mutation_log::open: CHECK(_log_files.find(log->index()) == _log_files.end(), \"invalid log_index\"))", prev, name, idx)
		}
		seen[idx] = name
		d.Files = append(d.Files, LogFile{Path: filepath.Join(path, name), Index: idx, StartOffset: start, Size: info.Size()})
	}
	sort.Slice(d.Files, func(i, j int) bool { return d.Files[i].Index < d.Files[j].Index })
	return d, nil
}
