package dataroot

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"

	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/vfs"
)

// Options says where a replica server's directories are.
type Options struct {
	// Root is the server's [core] data_dir: the directory holding
	// replica/ (a onebox node's "onebox/replica1/data"). It supplies the
	// defaults below and may be empty when both are given.
	Root string
	// SlogDir is the shared-log directory itself, the one holding
	// log.<index>.<offset> files. Default <Root>/replica/slog. Note that
	// Pegasus's [replication] slog_dir = X means X/replica/slog instead;
	// SlogDirFromConfig converts.
	SlogDir string
	// DataDirs is a data-dir list as ParseDataDirs reads it: Pegasus's
	// "tag:/path,..." or plain paths. Default <Root>/replica/reps, tag
	// "default".
	DataDirs string
	// FS is what the root is read through; nil means vfs.ReadOnly(vfs.OS).
	FS vfs.FS
}

// Root is the discovered layout of one replica server.
type Root struct {
	Path       string // Options.Root
	FS         vfs.FS // what it was read through; the logs are read through it too
	SlogDir    string
	SlogExists bool // SlogDir is a directory (a 2.6 server has no slog)
	DataDirs   []DataDir
	// Replicas are sorted by gpid; gpids present in several dirs appear
	// once per dir (see Findings).
	Replicas []*Replica
	// Skipped are data-dir entries not loaded as replicas, sorted by path.
	Skipped []SkippedDir
	// Findings are the problems found while discovering: missing data dirs,
	// names Pegasus cannot load, duplicate gpids. Validate returns the
	// per-replica ones.
	Findings []finding.Finding
}

// SlogDirFromConfig returns the slog directory Pegasus 2.4/2.5 uses for a
// [core] data_dir and a [replication] slog_dir setting
// (replication_options::initialize): <data_dir>/replica/slog when the
// setting is empty, else <slog_dir>/replica/slog.
func SlogDirFromConfig(coreDataDir, slogDirSetting string) string {
	if slogDirSetting == "" {
		return filepath.Join(coreDataDir, "replica", "slog")
	}
	return filepath.Join(slogDirSetting, "replica", "slog")
}

// Open discovers the directories of a replica server. It only reads. It
// fails for bad options or a data dir it cannot list; everything else,
// including unreadable replica metadata, ends up in the Root.
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
	slog := opts.SlogDir
	if slog == "" {
		if opts.Root == "" {
			return nil, errors.New("dataroot: need a root or a slog dir")
		}
		slog = SlogDirFromConfig(opts.Root, "")
	}
	dds, err := ParseDataDirs(fsys, opts.DataDirs)
	if err != nil {
		return nil, err
	}
	if len(dds) == 0 {
		if opts.Root == "" {
			return nil, errors.New("dataroot: need a root or data dirs")
		}
		dds = []DataDir{{Tag: DefaultTag, Path: filepath.Join(opts.Root, "replica", "reps")}}
	}

	r := &Root{Path: opts.Root, FS: fsys, SlogDir: slog, DataDirs: dds}
	if fi, err := fsys.Stat(slog); err == nil {
		r.SlogExists = fi.IsDir()
		if !r.SlogExists {
			r.addFinding(slog, finding.Warning, "slog path exists but is not a directory")
		}
	}
	for _, dd := range dds {
		if err := r.scanDataDir(dd); err != nil {
			return nil, err
		}
	}
	sort.SliceStable(r.Replicas, func(i, j int) bool { return r.Replicas[i].Gpid.Less(r.Replicas[j].Gpid) })
	sort.Slice(r.Skipped, func(i, j int) bool { return r.Skipped[i].Path < r.Skipped[j].Path })
	r.findDuplicates()
	return r, nil
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
func (r *Root) scanDataDir(dd DataDir) error {
	names, err := subdirs(r.FS, dd.Path)
	if errors.Is(err, fs.ErrNotExist) {
		r.addFinding(dd.Path, finding.Warning, "data dir does not exist (Pegasus would create it empty)")
		return nil
	}
	if err != nil {
		return err
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
	return nil
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

// Replica returns the replica with gpid g, or nil. When g is in several
// dirs it returns the first in data-dir order.
func (r *Root) Replica(g gpid.Gpid) *Replica {
	i := sort.Search(len(r.Replicas), func(i int) bool { return !r.Replicas[i].Gpid.Less(g) })
	if i < len(r.Replicas) && r.Replicas[i].Gpid == g {
		return r.Replicas[i]
	}
	return nil
}
