package dataroot

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/vfs"
)

// Options says where a replica server's directories are.
type Options struct {
	// Root is the server's [core] data_dir: the directory holding
	// replica/ (a onebox node's "onebox/replica1/data"). It supplies the
	// defaults below and may be empty when both are given.
	Root string
	// Server are the server's settings that place its dirs, read once
	// from its config.ini and the flags named after its keys (or Flags):
	// Open derives the dirs from them as the server does (ServerDirs) and
	// records where each came from in Root.Sources.
	Server ServerSettings
	// NoSlog states that the server has no slog (a root that never ran a
	// Pegasus <= 2.5): the slog dir is not read, and a missing one is no
	// finding; one that holds log files is.
	NoSlog bool
	// FS is what the root is read through; nil means vfs.ReadOnly(vfs.OS).
	FS vfs.FS
}

// Root is the discovered layout of one replica server.
type Root struct {
	Path       string // Options.Root
	FS         vfs.FS // what it was read through; the logs are read through it too
	SlogDir    string
	SlogExists bool // SlogDir is a directory that can be listed (and not NoSlog)
	DataDirs   []DataDir
	// Sources are the slog dir and data dirs and where each came from
	// (config, flag, path, default), for every report to print.
	Sources Sources
	// Replicas are sorted by gpid; gpids present in several dirs appear
	// once per dir (see Findings).
	Replicas []*Replica
	// Skipped are data-dir entries not loaded as replicas, sorted by path.
	Skipped []SkippedDir
	// Findings are the problems found while discovering: a slog dir or a
	// data dir that is missing or cannot be read, names Pegasus cannot
	// load, duplicate gpids. Validate returns the per-replica ones.
	Findings []finding.Finding

	slogListing *format.Dir // checkSlog's listing, handed to LogDirs once
}

// SlogDirFromConfig returns the slog directory Pegasus 2.4/2.5 uses for a
// [core] data_dir and a [replication] slog_dir setting
// (replication_options::initialize): <data_dir>/replica/slog when the
// setting is empty, else <slog_dir>/replica/slog. ServerDirs derives
// every dir with the same rules.
func SlogDirFromConfig(coreDataDir, slogDirSetting string) string {
	if slogDirSetting == "" {
		return filepath.Join(coreDataDir, "replica", "slog")
	}
	return filepath.Join(slogDirSetting, "replica", "slog")
}

// Open discovers the directories of a replica server. It only reads. It
// fails for bad options (settings the server itself refuses); everything
// else, including dirs that cannot be read and unreadable replica
// metadata, ends up in the Root as findings.
func Open(opts Options) (*Root, error) {
	fsys := opts.FS
	if fsys == nil {
		fsys = vfs.ReadOnly(vfs.OS)
	}
	if opts.Root != "" {
		fi, err := fsys.Stat(opts.Root)
		if err != nil {
			return nil, fmt.Errorf("dataroot: root: %w", err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("dataroot: root %s is not a directory", opts.Root)
		}
	}
	s := opts.Server
	if s.RootFrom.From == "" {
		s.RootFrom = Setting{From: FromPath, Detail: "ROOT"}
	}
	exactSlog := s.SlogDirExact.Value
	if exactSlog != "" {
		s.SlogDir = Setting{Value: "", From: FromPath}
	}
	if opts.Root == "" && (exactSlog == "" && s.SlogDir.Value == "") {
		return nil, errors.New("dataroot: need a root or a slog dir")
	}
	if opts.Root == "" && len(splitArgs(s.DataDirs.Value, ',')) == 0 {
		return nil, errors.New("dataroot: need a root or data dirs")
	}
	root := opts.Root
	if root == "" {
		root = "." // only the derivations ServerDirs does not use need it
	}
	src, dds, err := ServerDirs(fsys, root, s)
	if err != nil {
		return nil, err
	}
	if exactSlog != "" {
		src.SlogDir = DirSource{Path: exactSlog, From: s.SlogDirExact.from(), Detail: s.SlogDirExact.Detail}
	}
	src.NoSlog = opts.NoSlog
	if opts.Root != "" {
		src.Root = DirSource{Path: opts.Root, From: s.RootFrom.from(), Detail: s.RootFrom.Detail}
	}
	slog := src.SlogDir.Path

	r := &Root{Path: opts.Root, FS: fsys, SlogDir: slog, DataDirs: dds, Sources: src}
	r.checkSlog(opts.NoSlog)
	for i, dd := range dds {
		r.Sources.DataDirs[i].State = r.scanDataDir(dd)
	}
	sort.SliceStable(r.Replicas, func(i, j int) bool { return r.Replicas[i].Gpid.Less(r.Replicas[j].Gpid) })
	sort.Slice(r.Skipped, func(i, j int) bool { return r.Skipped[i].Path < r.Skipped[j].Path })
	r.findDuplicates()
	return r, nil
}

// SlogHint is what to do when the slog is not where it was looked for.
const SlogHint = "point at it with --config (the server's config.ini) or --slog-dir (the value of [replication] slog_dir, i.e. the dir holding replica/slog), or state that this server has none with --no-slog"

// checkSlog decides SlogExists, and makes a finding of a slog dir that is
// missing (a warning: a 2.6 server has none, and a <= 2.5 server creates
// it empty, but then nothing says what the slog held), not a directory,
// a symlink loop or unreadable (errors: waltool cannot tell what it holds).
// With noSlog it only checks that the dir holds no log files.
func (r *Root) checkSlog(noSlog bool) {
	slog := r.SlogDir
	if noSlog {
		if d, err := format.OpenDir(r.FS, slog); err == nil && len(d.Files) > 0 {
			r.addFinding(slog, finding.Error, fmt.Sprintf("--no-slog, but this dir holds %d slog files: drop --no-slog to read them", len(d.Files)))
		}
		r.Sources.SlogDir.State = "not read"
		return
	}
	fi, err := r.FS.Stat(slog)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		r.Sources.SlogDir.State = "missing"
		r.addFinding(slog, finding.Warning, "slog dir does not exist, so no slog was read; if this server ran Pegasus <= 2.5, its slog is elsewhere: "+SlogHint)
	case errors.Is(err, syscall.ELOOP):
		r.Sources.SlogDir.State = "symlink loop"
		r.addFinding(slog, finding.Corrupt, "slog path is a symlink loop (the server cannot open its slog); "+SlogHint)
	case err != nil:
		r.Sources.SlogDir.State = "unreadable"
		r.addFinding(slog, finding.Error, fmt.Sprintf("slog dir cannot be read (%v), so what it holds is unknown; %s", unwrapPath(err), SlogHint))
	case !fi.IsDir():
		r.Sources.SlogDir.State = "not a directory"
		r.addFinding(slog, finding.Corrupt, "slog path is not a directory (the server cannot open its slog); "+SlogHint)
	default:
		d, err := format.OpenDir(r.FS, slog)
		if err != nil {
			r.Sources.SlogDir.State = "unreadable"
			r.addFinding(slog, finding.Error, fmt.Sprintf("slog dir cannot be listed (%v), so what it holds is unknown", unwrapPath(err)))
			return
		}
		r.SlogExists, r.slogListing = true, d
	}
}

// unwrapPath drops the path of a *fs.PathError (the finding has it).
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

// OpenReplica opens one replica dir as a Root holding just that replica:
// DataDirs is its parent (untagged) and there is no slog (SlogDir "").
// The dir name must parse; a name Pegasus skips (.err, .gar, ...) is
// still loaded, with a warning, so such dirs can be inspected.
func OpenReplica(fsys vfs.FS, dir string) (*Root, error) {
	if fsys == nil {
		fsys = vfs.ReadOnly(vfs.OS)
	}
	dir = filepath.Clean(dir)
	fi, err := fsys.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("dataroot: replica: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("dataroot: replica %s is not a directory", dir)
	}
	name := filepath.Base(dir)
	g, appType, err := ParseReplicaDirName(name)
	if err != nil {
		return nil, err
	}
	dd := DataDir{Path: filepath.Dir(dir)}
	r := &Root{FS: fsys, DataDirs: []DataDir{dd}, Replicas: []*Replica{loadReplica(fsys, dd, name, g, appType)}}
	if suf, why, ok := invalidSuffix(name); ok {
		r.addFinding(dir, finding.Warning, fmt.Sprintf("%s dir (%s); Pegasus skips it (is_data_dir_invalid)", suf, why))
	}
	return r, nil
}

// scanDataDir mirrors the loop in replica_stub::initialize (v2.4.0/v2.5.0;
// HEAD load_replicas): every sub-directory, minus invalid suffixes, is a
// replica candidate.
//
// A data dir that does not exist is a Missing finding, one that cannot be
// listed an Error:
// the server would create a missing one empty and drop the slog mutations
// of whatever replicas it held, and a mistyped data_dirs entry looks just
// like that, so nothing can be said about its replicas.
// It returns the dir's DirSource.State.
func (r *Root) scanDataDir(dd DataDir) string {
	names, err := subdirs(r.FS, dd.Path)
	if errors.Is(err, fs.ErrNotExist) {
		r.addFinding(dd.Path, finding.Missing, "data dir does not exist, so its replicas (if any) are not covered: check [replication] data_dirs / --data-dirs (a mistyped path?); the server would create it empty and drop the slog mutations of the replicas it held")
		return "missing"
	}
	if errors.Is(err, syscall.ENOTDIR) {
		// The path or one of its parents is a file: a layout mistake, as a
		// missing dir is, not a read that failed.
		r.addFinding(dd.Path, finding.Missing, "data dir is not a directory (it, or a dir above it, is a file), so its replicas (if any) are not covered: check [replication] data_dirs / --data-dirs")
		return "not a directory"
	}
	if err != nil {
		r.addFinding(dd.Path, finding.Error, fmt.Sprintf("data dir cannot be listed (%v), so its replicas are not covered", unwrapPath(errors.Unwrap(err))))
		return "unreadable"
	}
	for _, name := range names {
		path := filepath.Join(dd.Path, name)
		if suf, why, ok := invalidSuffix(name); ok {
			r.Skipped = append(r.Skipped, SkippedDir{Path: path, Reason: fmt.Sprintf(
				"%s dir (%s); Pegasus skips it (is_data_dir_invalid)", suf, why)})
			continue
		}
		g, appType, err := ParseReplicaDirName(name)
		if err != nil {
			r.Skipped = append(r.Skipped, SkippedDir{Path: path, Reason: err.Error()})
			if errors.Is(err, ErrNonCanonicalName) {
				r.addFinding(path, finding.Corrupt, err.Error())
			} else {
				r.addFinding(path, finding.Warning, "not a replica dir name; Pegasus logs \"invalid replica dir\" and ignores it")
			}
			continue
		}
		r.Replicas = append(r.Replicas, loadReplica(r.FS, dd, name, g, appType))
	}
	return ""
}

// findDuplicates reports a gpid found in more than one replica dir. If
// both load, every version CHECK-aborts with "conflict replica dir"
// (v2.4.0/v2.5.0 replica_stub::initialize; HEAD load_replica's caller).
func (r *Root) findDuplicates() {
	for i := 1; i < len(r.Replicas); i++ {
		prev, cur := r.Replicas[i-1], r.Replicas[i]
		if prev.Gpid == cur.Gpid {
			r.Findings = append(r.Findings, finding.New(finding.Corrupt, cur.Dir,
				"gpid %s is also in %s; if both load, Pegasus aborts (CHECK \"conflict replica dir\")",
				cur.Gpid, prev.Dir).For(cur.Gpid))
		}
	}
}

func (r *Root) addFinding(path string, c finding.Class, msg string) {
	r.Findings = append(r.Findings, finding.New(c, path, "%s", msg))
}

// OpenAt discovers the root at path through fsys with its slog dir and
// its data dirs (reps dirs, as paths) given.
func OpenAt(fsys vfs.FS, path, slogDir string, dataDirs []string) (*Root, error) {
	return Open(Options{Root: path, Server: Flags(slogDir, strings.Join(dataDirs, ",")), FS: fsys})
}

// Reopen discovers r again through fsys, the same root path, slog dir and
// data dirs: what a command that changed the root, or a simulation writing
// over it, reads the result through. Data-dir tags are not kept (paths
// locate every log; the tags only label reports), nor NoSlog: the slog dir
// is always looked at, as a server <= 2.5 opens it whatever the root was
// opened with (2.6 ignores it).
func (r *Root) Reopen(fsys vfs.FS) (*Root, error) {
	return OpenAt(fsys, r.Path, r.SlogDir, r.DataDirPaths())
}

// DataDirPaths are the data dirs' reps paths.
func (r *Root) DataDirPaths() []string {
	out := make([]string, len(r.DataDirs))
	for i, d := range r.DataDirs {
		out[i] = d.Path
	}
	return out
}

// Replica returns the replica with gpid g, or nil. When g is in several
// dirs it returns the first in data-dir order.
func (r *Root) Replica(g gpid.Gpid) *Replica {
	i := sort.Search(len(r.Replicas), func(i int) bool { return !r.Replicas[i].Gpid.Less(g) })
	if i < len(r.Replicas) && r.Replicas[i].Gpid == g {
		return r.Replicas[i]
	}
	return nil
}
