package verify

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"syscall"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/vfs"
)

// Target verifies whatever t names: a log file, a log dir, a replica or a
// data root, using the listings t already holds.
func Target(t *dataroot.Target, opts Options) (*Report, error) {
	switch {
	case t.File != nil:
		return File(*t.File, opts)
	case t.Root != nil:
		return root(t.Root, t.Logs, opts)
	case len(t.Logs) != 1:
		return nil, fmt.Errorf("verify: %s: nothing to verify", t.Path)
	}
	dirs, err := LogDirs([]DirSpec{spec(t.Logs[0])}, opts)
	if err != nil {
		return nil, err
	}
	return &Report{OK: dirs[0].OK, Dirs: dirs}, nil
}

// Root verifies a whole data root: the slog, every replica's plog, the
// replica metadata, and the checks that tie them together.
func Root(r *dataroot.Root, opts Options) (*Report, error) {
	logs, err := r.LogDirs()
	if err != nil {
		return nil, err
	}
	return root(r, logs, opts)
}

func spec(ld dataroot.LogDir) DirSpec {
	s := DirSpec{Path: ld.Dir.Path, Kind: Slog, Owner: ld.Owner, Dir: ld.Dir}
	if ld.Kind == dataroot.PlogDirTarget {
		s.Kind = Plog
	}
	return s
}

// root verifies r, whose log dirs logs lists (r.LogDirs).
func root(root *dataroot.Root, logs []dataroot.LogDir, opts Options) (*Report, error) {
	if opts.FS == nil {
		opts.FS = root.FS
	}
	specs := make([]DirSpec, len(logs))
	plogOf := map[*dataroot.Replica]int{}
	slogAt := -1
	for i, ld := range logs {
		specs[i] = spec(ld)
		if ld.Replica != nil {
			plogOf[ld.Replica] = i
		} else if ld.Kind == dataroot.SlogDirTarget {
			slogAt = i
		}
	}
	dirs, err := LogDirs(specs, opts)
	if err != nil {
		return nil, err
	}
	rep := &Report{Dirs: dirs}
	if root.Path != "" {
		rep.ServerDirs = []dataroot.Sources{root.Sources}
	}
	add := func(f finding.Finding) { rep.Findings = append(rep.Findings, f) }
	rep.Findings = append(append(rep.Findings, root.Findings...), root.Validate()...)

	var slog *DirReport
	if slogAt >= 0 {
		slog = dirs[slogAt]
	}
	// Whether the slog and the replica dirs are one server's. A replica
	// whose offset is past the slog's end is said there, once.
	pastEnd := map[gpid.Gpid]bool{}
	for _, f := range root.NotOneServer() {
		add(f)
		if f.Gpid != nil && errors.Is(f.Err, dataroot.ErrPastSlogEnd) {
			pastEnd[*f.Gpid] = true
		}
	}
	for _, r := range root.Replicas {
		ii := r.InitInfo
		if ii == nil {
			if _, ok := plogOf[r]; !ok {
				if f, bad := plogNotDir(root.FS, r); bad {
					add(f)
				}
			}
			continue
		}
		if i, ok := plogOf[r]; ok {
			checkInitOffset(add, r, "init_offset_in_private_log", ii.InitOffsetInPrivateLog, dirs[i], finding.Corrupt,
				"the plog lost data written after the replica's last reset, and whatever is appended now lies below the offset and would be ignored on the next replay")
		} else if f, bad := plogNotDir(root.FS, r); bad {
			add(f)
		} else if ii.InitOffsetInPrivateLog > 0 {
			add(finding.New(finding.Corrupt, r.PlogDir, "plog dir missing although init_offset_in_private_log is %d", ii.InitOffsetInPrivateLog).For(r.Gpid))
		}
		if slog != nil && len(slog.Files) > 0 && !pastEnd[r.Gpid] {
			checkInitOffset(add, r, "init_offset_in_shared_log", ii.InitOffsetInSharedLog, slog, finding.Warning,
				"every slog mutation of this replica would be ignored")
		}
	}

	if slog != nil {
		var orphans []gpid.Gpid
		for g := range slog.Gpids {
			if root.Replica(g) == nil {
				orphans = append(orphans, g)
			}
		}
		sort.Slice(orphans, func(i, j int) bool { return orphans[i].Less(orphans[j]) })
		for _, g := range orphans {
			st := slog.Gpids[g]
			add(finding.New(finding.Warning, slog.Path, "orphan gpid %s: %d slog mutations (decrees %d..%d) have no replica dir in the data dirs read; replay drops them (if its replica is on a data dir not listed, check [replication] data_dirs / --data-dirs)",
				g, st.Mutations, st.MinDecree, st.MaxDecree).For(g))
		}
	}

	rep.OK = true
	for _, d := range dirs {
		rep.OK = rep.OK && d.OK
	}
	rep.OK = rep.OK && !finding.AnyFatal(rep.Findings)
	return rep, nil
}

// checkInitOffset checks that a replica's init offset in a log lies inside
// that log: replay ignores mutations below it (replica::replay_mutation), so
// an offset past the end of the valid data means lost or ignored writes.
func checkInitOffset(add func(finding.Finding), r *dataroot.Replica, field string, off int64, d *DirReport, c finding.Class, why string) {
	if len(d.Files) == 0 {
		return
	}
	if off > d.EndOffset {
		add(finding.New(c, filepath.Join(r.Dir, dataroot.InitInfoFile), "%s %d is past the end %d of the valid data in %s: %s",
			field, off, d.EndOffset, d.Path, why).For(r.Gpid))
	}
}

// plogNotDir is the finding for a replica whose plog exists but is not a
// directory that can be listed (a regular file, a symlink loop, no
// permission). The server's mutation_log::open (v2.5.0
// src/replica/mutation_log.cpp) creates the dir only when the path does
// not exist, then lists it: this replica fails to open. A missing plog is
// not such a finding (the server creates it empty).
func plogNotDir(fsys vfs.FS, r *dataroot.Replica) (finding.Finding, bool) {
	fi, err := fsys.Stat(r.PlogDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return finding.Finding{}, false
	case errors.Is(err, syscall.ELOOP):
		return finding.New(finding.Corrupt, r.PlogDir, "plog is a symlink loop: the server's mutation_log::open fails and the replica does not open").For(r.Gpid).Because(err), true
	case err != nil:
		return finding.New(finding.Error, r.PlogDir, "plog cannot be read (%v): what it holds is unknown, and the server cannot open it", errors.Unwrap(err)).For(r.Gpid).Because(err), true
	case !fi.IsDir():
		what := "a regular file"
		if !fi.Mode().IsRegular() {
			what = fi.Mode().Type().String()
		}
		return finding.New(finding.Corrupt, r.PlogDir, "plog is not a directory (%s): the server's mutation_log::open fails and the replica does not open", what).For(r.Gpid), true
	}
	if _, err := fsys.ReadDir(r.PlogDir); err != nil {
		return finding.New(finding.Error, r.PlogDir, "plog cannot be listed (%v): what it holds is unknown", errors.Unwrap(err)).For(r.Gpid).Because(err), true
	}
	return finding.Finding{}, false
}
