package migrate

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"sort"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/pegasus"
	"github.com/waltool/waltool/vfs"
)

// KindDowngrade marks a journal whose plan is a DowngradePlan (an
// upgrade's Plan has no kind).
const KindDowngrade = "downgrade"

// DowngradeOptions of PlanDowngrade.
type DowngradeOptions struct {
	Options
	// Target is the version that will start on the root: V23, V24 or V25.
	Target pegasus.Version
	// Next is the proof's simulation of the target's next writes.
	Next NextOptions
}

// DowngradePlan is what a downgrade does to a plog-only root, read only,
// and what its proof compares. The plogs stay the truth: nothing of them
// changes. What changes is the slog dir, the one thing an older server
// reads that 2.6 does not:
//
//   - log files left in it (a slog a 2.4/2.5 server never collected) are
//     archived: 2.6 ignores them, an older server would replay them;
//   - it is created when missing (a <= 2.5 server creates it too; the
//     replay model and the proof want it there);
//   - for 2.3, whose slog is the WAL, a header-only file log.1.<X> is put
//     in it, X at or above every replica's init_offset_in_shared_log: 2.3
//     opens its shared log there and writes every next mutation past X, so
//     replica::replay_mutation never skips one of them (the init-offset
//     trap: on an empty dir 2.3 starts at offset 0, below those values, and
//     the next restart drops whatever its lagging plog had not received).
type DowngradePlan struct {
	Kind     string          `json:"kind"`
	Target   pegasus.Version `json:"target"`
	Root     string          `json:"root,omitempty"`
	SlogDir  string          `json:"slog_dir"`
	DataDirs []string        `json:"data_dirs"`
	// CreateSlogDir: the slog dir does not exist.
	CreateSlogDir bool `json:"create_slog_dir,omitempty"`
	// SlogFiles are log files left in the slog dir, to archive.
	SlogFiles []SlogFile `json:"slog_files"`
	// SlogStart is the header-only slog file 2.3 opens its shared log at;
	// nil for 2.4 and 2.5, and for 2.3 when every init offset is 0.
	SlogStart *SlogStart `json:"slog_start,omitempty"`
	// Replicas are the loaded replicas and what changes for each.
	Replicas []*DowngradeReplica `json:"replicas"`
	// Before is what every loaded replica recovers under the 2.6 rules on
	// the root as it is: the truth the target must recover.
	Before []State `json:"before"`
	// Refusals are what makes the downgrade unsafe (what 2.6 refuses on
	// the root, metadata or task codes the target cannot read); Warnings
	// what the operator must know (a RocksDB newer than the target ships).
	Refusals []finding.Finding `json:"refusals"`
	Warnings []finding.Finding `json:"warnings"`
	// Listing is the root's log files when the plan was made (rollback).
	Listing *Listing `json:"listing"`
	// Next is what the proof's simulation of the target's next writes
	// does, kept so that a resumed run proves the same way.
	Next NextOptions `json:"next"`
	// SlogArchive is where --apply moves leftover slog files (set by the
	// caller before the run begins), so that a resume moves them there too.
	SlogArchive string `json:"slog_archive,omitempty"`
}

// SlogStart is the header-only slog file of a downgrade to 2.3.
type SlogStart struct {
	Path        string `json:"path"`
	StartOffset int64  `json:"start_offset"`
	// Above is the largest init_offset_in_shared_log it covers, and
	// ArchivedEnd where the archived slog ended: StartOffset is the larger.
	Above       int64 `json:"above_init_offset"`
	ArchivedEnd int64 `json:"archived_end,omitempty"`
}

// DowngradeReplica is one loaded replica of a downgrade.
type DowngradeReplica struct {
	Gpid                  gpid.Gpid `json:"gpid"`
	Dir                   string    `json:"dir"`
	InitOffsetInSharedLog int64     `json:"init_offset_in_shared_log"`
	// Changes say, in words, what the downgrade changes for it; empty
	// when the target opens it as it is.
	Changes []string `json:"changes"`
}

// PlanDowngrade decides, reading only, what a downgrade of root to
// opts.Target does. The root's truth is what 2.6 recovers from it (its
// plogs): a root 2.6 refuses, or whose slog holds writes its plogs lack
// (not plog-only: a 2.3 root never started by 2.4), has refusals.
func PlanDowngrade(root *dataroot.Root, opts DowngradeOptions) (*DowngradePlan, error) {
	switch opts.Target {
	case pegasus.V23, pegasus.V24, pegasus.V25:
	default:
		return nil, fmt.Errorf("migrate: downgrade to %q: the targets are 2.3, 2.4 and 2.5", opts.Target)
	}
	if root.SlogDir == "" {
		return nil, fmt.Errorf("migrate: downgrade: no slog dir: the older server's slog dir must be known (%s)", dataroot.SlogHint)
	}
	p := &DowngradePlan{Kind: KindDowngrade, Target: opts.Target, Root: root.Path, SlogDir: root.SlogDir,
		SlogFiles: []SlogFile{}, Replicas: []*DowngradeReplica{}, Refusals: []finding.Finding{}, Warnings: []finding.Finding{}, Next: opts.Next}
	p.DataDirs = root.DataDirPaths()
	codes := map[gpid.Gpid]map[string]int64{}
	before, res, err := stateOf(root, pegasus.V26, opts.Options, nil, func(m *format.Mutation) {
		c := codes[m.Gpid]
		if c == nil {
			c = map[string]int64{}
			codes[m.Gpid] = c
		}
		for _, u := range m.Updates {
			c[u.Code]++
		}
	})
	if err != nil {
		return nil, err
	}
	p.Before = before
	p.Refusals = finding.Fatals(res.Findings)
	if res.Abort != "" && len(p.Refusals) == 0 {
		p.Refusals = append(p.Refusals, finding.New(finding.Corrupt, root.Path, "2.6 aborts on this root: %s", res.Abort))
	}

	// The slog dir: what is left in it is archived.
	var archivedEnd int64
	if !root.SlogExists {
		if _, err := root.FS.Stat(root.SlogDir); err == nil {
			return nil, fmt.Errorf("migrate: downgrade: slog dir %s cannot be read: %s", root.SlogDir, root.Sources.SlogDir.State)
		}
		p.CreateSlogDir = true
	} else {
		dir, err := format.OpenDir(root.FS, root.SlogDir)
		if err != nil {
			return nil, fmt.Errorf("migrate: downgrade: slog dir: %w", err)
		}
		for _, lf := range dir.Files {
			p.SlogFiles = append(p.SlogFiles, SlogFile{Path: lf.Path, Size: lf.Size})
			archivedEnd = max(archivedEnd, lf.StartOffset+lf.Size)
		}
		if len(dir.NotRegular) > 0 {
			return nil, fmt.Errorf("migrate: downgrade: slog dir %s holds %s named like a log file that is not a regular file: the older server cannot open it; move it away first", root.SlogDir, dir.NotRegular[0].Name)
		}
	}

	loaded := map[gpid.Gpid]bool{}
	for _, st := range before {
		loaded[st.Gpid] = true
	}
	var above int64
	for _, dr := range root.Replicas {
		if !loaded[dr.Gpid] || dr.InitInfo == nil {
			continue
		}
		rp := &DowngradeReplica{Gpid: dr.Gpid, Dir: dr.Dir, InitOffsetInSharedLog: dr.InitInfo.InitOffsetInSharedLog, Changes: []string{}}
		above = max(above, rp.InitOffsetInSharedLog)
		p.Replicas = append(p.Replicas, rp)
	}
	sort.Slice(p.Replicas, func(i, j int) bool { return p.Replicas[i].Gpid.Less(p.Replicas[j].Gpid) })
	// Already downgraded to 2.3: the slog dir holds one header-only file
	// at or above every init offset (what this plan writes), and nothing
	// else. A second run changes nothing.
	if opts.Target == pegasus.V23 && len(p.SlogFiles) == 1 && p.SlogFiles[0].Size == int64(format.BlockHeaderSize+emptyHeaderSize) {
		if _, start, err := format.ParseFileName(filepath.Base(p.SlogFiles[0].Path)); err == nil && start >= above {
			p.SlogFiles = []SlogFile{}
			for _, rp := range p.Replicas {
				rp.Changes = append(rp.Changes, fmt.Sprintf("none: 2.3's slog already starts at offset %d, at or above its init_offset_in_shared_log %d", start, rp.InitOffsetInSharedLog))
			}
			archivedEnd, above = 0, 0
		}
	}
	if opts.Target == pegasus.V23 && max(above, archivedEnd) > 0 {
		x := max(above, archivedEnd)
		p.SlogStart = &SlogStart{Path: filepath.Join(root.SlogDir, format.FileName(1, x)), StartOffset: x, Above: above, ArchivedEnd: archivedEnd}
		for _, rp := range p.Replicas {
			if rp.InitOffsetInSharedLog > 0 {
				rp.Changes = append(rp.Changes, fmt.Sprintf("2.3 writes its slog from offset %d on, not 0: init_offset_in_shared_log %d would skip what it writes below", x, rp.InitOffsetInSharedLog))
			}
		}
	}
	refusals, warnings := compat(root, opts.Target, codes, loaded)
	p.Refusals, p.Warnings = append(p.Refusals, refusals...), append(p.Warnings, warnings...)
	if p.Listing, err = ListLogs(root.FS, root); err != nil {
		return nil, err
	}
	return p, nil
}

// emptyHeaderSize is the size of a file header with no replica entry.
var emptyHeaderSize = (&format.FileHeader{}).Size()

// Bytes is the header-only file: block 0 with a header whose
// start offset is the file's and whose replica map is empty (a 2.3 server
// puts each replica's max decree in the next file it creates; an empty
// map makes replica_stub::initialize take smax 0 as the plog's max
// decree, so its slog/plog consistency check passes).
func (s *SlogStart) Bytes() []byte {
	_, b := format.NewEncoder(nil, &format.FileHeader{StartOffset: s.StartOffset})
	return b
}

// Apply carries the downgrade out through steps: the leftover slog files
// archived (phase "archive"), then the slog dir created if missing and,
// for 2.3, its header-only start file (phase "slog"). A phase done
// reports complete is skipped.
func (p *DowngradePlan) Apply(steps Steps, archiveDir string, done func(phase string) bool) error {
	if len(p.SlogFiles) > 0 && (done == nil || !done("archive")) {
		up := &Plan{SlogDir: p.SlogDir, SlogFiles: p.SlogFiles}
		if err := up.Archive(steps, archiveDir); err != nil {
			return err
		}
	}
	if done != nil && done("slog") {
		return nil
	}
	if p.CreateSlogDir {
		if err := steps.Mkdir(p.SlogDir); err != nil {
			return fmt.Errorf("migrate: downgrade: %w", err)
		}
	}
	if p.SlogStart != nil {
		b := p.SlogStart.Bytes()
		if err := steps.Create(p.SlogStart.Path, func(w io.Writer) error {
			_, err := io.Copy(w, bytes.NewReader(b))
			return err
		}); err != nil {
			return fmt.Errorf("migrate: downgrade: %w", err)
		}
	}
	return steps.Phase("slog")
}

// Preview is the root as the downgrade leaves it, without touching it: an
// in-memory overlay holding what Apply writes. Leftover slog files cannot
// be moved in an overlay, so the previewed slog dir is then a fresh one in
// memory: the older server reads nothing else that the downgrade changes.
func (p *DowngradePlan) Preview() (vfs.FS, *dataroot.Root, error) {
	ov := vfs.Overlay(vfs.OS)
	slogDir := p.SlogDir
	if len(p.SlogFiles) > 0 {
		slogDir = filepath.Join(p.Root, ".waltool-preview", "slog")
		if p.Root == "" {
			slogDir = p.SlogDir + ".waltool-preview"
		}
	}
	if len(p.SlogFiles) > 0 || p.CreateSlogDir {
		if err := ov.MkdirAll(slogDir, 0o755); err != nil {
			return nil, nil, fmt.Errorf("migrate: preview: %w", err)
		}
	}
	if p.SlogStart != nil {
		f, err := ov.Create(filepath.Join(slogDir, filepath.Base(p.SlogStart.Path)))
		if err == nil {
			_, err = f.Write(p.SlogStart.Bytes())
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			return nil, nil, fmt.Errorf("migrate: preview: %w", err)
		}
	}
	root, err := p.open(ov, slogDir)
	return ov, root, err
}

// open opens the plan's root through fsys with slogDir as its slog dir.
func (p *DowngradePlan) open(fsys vfs.FS, slogDir string) (*dataroot.Root, error) {
	return dataroot.OpenAt(fsys, p.Root, slogDir, p.DataDirs)
}

// Findings are the refusals and the warnings, for a report.
func (p *DowngradePlan) Findings() []finding.Finding {
	return append(append([]finding.Finding{}, p.Refusals...), p.Warnings...)
}
