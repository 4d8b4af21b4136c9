package dataroot

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/vfs"
)

// Kind is what a path names.
type Kind string

const (
	LogFileTarget Kind = "log file" // log.<index>.<start_offset>
	SlogDirTarget Kind = "slog dir" // a log dir that is not named plog
	PlogDirTarget Kind = "plog dir" // <replica dir>/plog, or any dir named plog holding log files
	ReplicaTarget Kind = "replica"  // <app_id>.<pidx>.<app_type> holding plog/
	RootTarget    Kind = "data root"
)

// Target is what a path given by an operator names, decided once.
type Target struct {
	Kind Kind
	// Path is the path cleaned: no trailing slash, no "." or ".." element
	// that can be removed lexically; a path that is nothing but "." and
	// ".." elements is made absolute, so that its name can be read.
	Path string
	// File is the log file of a LogFileTarget.
	File *format.LogFile
	// Logs are the log dirs the target covers, each listed once: the dir
	// itself for a SlogDirTarget or PlogDirTarget; the slog (if it exists)
	// then every replica's plog (if it is a dir), in Root.Replicas order,
	// for a ReplicaTarget or RootTarget.
	Logs []LogDir
	// Root is the data root of a RootTarget, or the one-replica root of a
	// ReplicaTarget (OpenReplica).
	Root *Root
}

// LogDir is a listed log directory.
type LogDir struct {
	Kind  Kind // SlogDirTarget or PlogDirTarget
	Dir   *format.Dir
	Owner *gpid.Gpid // of a plog, when its replica dir name says
	// Replica is the replica whose plog this is, when the dir was listed
	// as part of a Root.
	Replica *Replica
}

// What describes the target for messages: "log file", "plog dir",
// "replica 1.4", "data root".
func (t *Target) What() string {
	if t.Kind == ReplicaTarget && t.Root != nil && len(t.Root.Replicas) == 1 {
		return string(t.Kind) + " " + t.Root.Replicas[0].Gpid.String()
	}
	return string(t.Kind)
}

// Files are every log file of the target, in dump order: the slog, then
// each replica's plog by gpid.
func (t *Target) Files() []format.LogFile {
	if t.File != nil {
		return []format.LogFile{*t.File}
	}
	var files []format.LogFile
	for _, d := range t.Logs {
		files = append(files, d.Dir.Files...)
	}
	return files
}

// Resolve decides what path names, reading through fsys (nil means
// vfs.ReadOnly(vfs.OS)), in this order:
//
//   - a regular file: a log file, whose name must parse;
//   - a directory holding log files: a plog dir if it is named plog (its
//     owner is the replica whose dir holds it), else a slog dir;
//   - a directory named as a replica dir and holding plog/: a replica;
//   - else a data root: Pegasus's [core] data_dir (holding replica/slog
//     and replica/reps), its replica/ dir, or a reps dir (a dir holding
//     replica dirs, whose slog is then ../slog); opts.SlogDir and
//     opts.DataDirs apply as in Open. A root with neither a slog nor a
//     replica is an error.
//
// opts.Root and opts.FS are set from path and fsys. Resolve only reads.
func Resolve(fsys vfs.FS, path string, opts Options) (*Target, error) {
	if fsys == nil {
		fsys = vfs.ReadOnly(vfs.OS)
	}
	p, err := cleanPath(path)
	if err != nil {
		return nil, err
	}
	st, err := fsys.Stat(p)
	if (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ELOOP)) && isDanglingSymlink(fsys, p) {
		return nil, &fs.PathError{Op: "open", Path: p, Err: fmt.Errorf("%w (a dangling symlink or a symlink loop)", vfs.ErrNotRegular)}
	}
	if err != nil {
		return nil, err
	}
	t := &Target{Path: p}
	if !st.IsDir() {
		if !st.Mode().IsRegular() {
			// Never opened: a FIFO would block the open, a device read
			// without end.
			return nil, &fs.PathError{Op: "open", Path: p, Err: vfs.NotRegular(st.Mode().Type())}
		}
		idx, start, err := format.ParseFileName(filepath.Base(p))
		if err != nil {
			return nil, fmt.Errorf("%s: not a log file name (log.<index>.<start_offset>): a renamed copy can be read as log.1.0", p)
		}
		t.Kind = LogFileTarget
		t.File = &format.LogFile{Path: p, Index: idx, StartOffset: start, Size: st.Size()}
		return t, nil
	}
	// One listing of the dir tells a log dir and a reps dir apart.
	d, err := format.OpenDir(fsys, p)
	if err != nil {
		return nil, err
	}
	if len(d.Files) > 0 {
		ld := LogDir{Kind: SlogDirTarget, Dir: d}
		if filepath.Base(p) == "plog" {
			ld.Kind = PlogDirTarget
			if g, _, err := ParseReplicaDirName(filepath.Base(filepath.Dir(absPath(p)))); err == nil {
				ld.Owner = &g
			}
		}
		t.Kind, t.Logs = ld.Kind, []LogDir{ld}
		return t, nil
	}
	if _, _, err := ParseReplicaDirName(filepath.Base(p)); err == nil && isDir(fsys, filepath.Join(p, "plog")) {
		r, err := OpenReplica(fsys, p)
		if err != nil {
			return nil, err
		}
		r.Sources.NoSlog = opts.NoSlog
		t.Kind, t.Root = ReplicaTarget, r
		t.Logs, err = r.LogDirs()
		return t, err
	}
	// Root.Path is the data root ([core] data_dir) however PATH names it:
	// the root's lock and its migration journal live there, so ROOT,
	// ROOT/replica and ROOT/replica/reps must find the same ones.
	opts.Root, opts.FS = p, fsys
	app := ReplicaApp
	if opts.Server.App != "" {
		app = opts.Server.App
	}
	abs := absPath(p)
	// Laid out as the server lays it out, <data_dir>/replica/reps: its
	// data root is two levels up, whatever dirs the flags name.
	repsOfRoot := filepath.Base(abs) == "reps" && filepath.Base(filepath.Dir(abs)) == app && !isDir(fsys, filepath.Join(p, app))
	switch {
	case filepath.Base(p) == app && (isDir(fsys, filepath.Join(p, "slog")) || isDir(fsys, filepath.Join(p, "reps"))):
		opts.Root = parentOf(p, 1)
	case repsOfRoot || !isDir(fsys, filepath.Join(p, app)) && holdsReplicaDirs(fsys, d):
		// A reps dir: <data_dir>/replica/{reps,slog}. Under another name
		// it is no server's layout, and its own root.
		s := opts.Server
		if repsOfRoot {
			opts.Root = parentOf(p, 2)
			s.RootFrom = Setting{Value: opts.Root, From: FromPath, Detail: "ROOT/../.. (ROOT is <data_dir>/" + app + "/reps)"}
		}
		if s.DataDirs.Value == "" {
			s.DataDirs = Setting{Value: p, From: FromPath, Detail: "ROOT (a reps dir)"}
			if s.SlogDirExact.Value == "" && s.SlogDir.Value == "" {
				s.SlogDirExact = Setting{Value: filepath.Join(filepath.Dir(p), "slog"), From: FromPath, Detail: "ROOT/../slog (ROOT is a reps dir)"}
			}
		}
		opts.Server = s
	}
	r, err := Open(opts)
	if err != nil {
		return nil, err
	}
	if !r.SlogExists && len(r.Replicas) == 0 {
		if _, _, err := format.ParseFileName(filepath.Base(p)); err == nil {
			return nil, &fs.PathError{Op: "open", Path: p, Err: fmt.Errorf("%w (a directory) although named like a log file", vfs.ErrNotRegular)}
		}
		return nil, fmt.Errorf("%s: no log file, log dir, replica dir or data root here (no %s, no replicas under %s)", p, r.SlogDir, strings.Join(r.DataDirPaths(), ", "))
	}
	t.Kind, t.Root = RootTarget, r
	t.Logs, err = r.LogDirs()
	return t, err
}

// cleanPath cleans p lexically; a path with no name left (".", "..",
// "../..") is made absolute against the working directory.
func cleanPath(path string) (string, error) {
	if path == "" {
		return "", errors.New("dataroot: empty path")
	}
	p := filepath.Clean(path)
	if b := filepath.Base(p); b == "." || b == ".." {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", err
		}
		p = abs
	}
	return p, nil
}

// parentOf is the dir n levels above p, lexically; made absolute when
// nothing but "." and ".." would be left of it, as cleanPath does.
func parentOf(p string, n int) string {
	for range n {
		if b := filepath.Base(p); b == "." || b == ".." {
			p = absPath(p)
		}
		p = filepath.Dir(p)
	}
	if b := filepath.Base(p); b == "." || b == ".." {
		p = absPath(p)
	}
	return p
}

// absPath is p made absolute, for reading the name of a parent ("plog"
// has none); p itself if that fails.
func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// LogDirs lists the slog (when it exists) and every replica's plog that is
// a directory, in Replicas order, through r.FS.
func (r *Root) LogDirs() ([]LogDir, error) {
	var out []LogDir
	if r.SlogExists {
		d := r.slogListing
		r.slogListing = nil
		if d == nil {
			var err error
			if d, err = format.OpenDir(r.FS, r.SlogDir); err != nil {
				return nil, err
			}
		}
		out = append(out, LogDir{Kind: SlogDirTarget, Dir: d})
	}
	for _, rep := range r.Replicas {
		if !isDir(r.FS, rep.PlogDir) {
			continue
		}
		d, err := format.OpenDir(r.FS, rep.PlogDir)
		if err != nil {
			return nil, err
		}
		g := rep.Gpid
		out = append(out, LogDir{Kind: PlogDirTarget, Dir: d, Owner: &g, Replica: rep})
	}
	return out, nil
}

// holdsReplicaDirs reports whether the listed dir d holds a directory
// named <app_id>.<pidx>.<type> (OpenDir lists those among Ignored).
func holdsReplicaDirs(fsys vfs.FS, d *format.Dir) bool {
	for _, name := range d.Ignored {
		if _, _, err := ParseReplicaDirName(name); err == nil && isDir(fsys, filepath.Join(d.Path, name)) {
			return true
		}
	}
	return false
}

// isDanglingSymlink reports whether p, which Stat says does not exist, is
// listed in its parent: a symlink leading nowhere (or a loop).
func isDanglingSymlink(fsys vfs.FS, p string) bool {
	ents, err := fsys.ReadDir(filepath.Dir(p))
	if err != nil {
		return false
	}
	for _, e := range ents {
		if e.Name() == filepath.Base(p) {
			return e.Type()&fs.ModeSymlink != 0
		}
	}
	return false
}

func isDir(fsys vfs.FS, p string) bool {
	fi, err := fsys.Stat(p)
	return err == nil && fi.IsDir()
}
