package migrate

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"sort"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/decrees"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/pegasus"
	"github.com/waltool/waltool/replay"
	"github.com/waltool/waltool/vfs"
)

// Options of PlanUpgrade.
type Options struct {
	// MaxFileSize is the server's log_private_file_size_mb in bytes: the
	// new plog files rotate at it as the server's do. 0 means 32 MiB.
	MaxFileSize int64
	// DurableDecrees and MaxPrepareCount are passed to replay (see
	// replay.Options).
	DurableDecrees  map[gpid.Gpid]int64
	MaxPrepareCount int
	// Workers replaying plogs at once; 0 means one per CPU.
	Workers int
	// Progress, if set, receives the log bytes read (replay.Options.Progress).
	Progress func(n int64)
}

// Plan is what an upgrade will do, and what its proof will compare. It
// holds no mutation payloads: what to fold is named by slog offsets, and
// re-read from the slog by Fold. It is meant to be stored as JSON.
type Plan struct {
	Root        string   `json:"root,omitempty"`
	SlogDir     string   `json:"slog_dir"`
	DataDirs    []string `json:"data_dirs"`
	MaxFileSize int64    `json:"max_file_size"`
	// Replicas are the loaded replicas, by gpid; those with nothing to fold
	// have Fold 0 and no new files.
	Replicas []*ReplicaPlan `json:"replicas"`
	// NotLoaded are replica dirs the server does not load (moved to .err):
	// neither version recovers them, so nothing is folded for them.
	NotLoaded []NotLoaded `json:"not_loaded"`
	// Orphans are slog mutations of gpids no loaded replica owns: both
	// versions drop them; the archive keeps them.
	Orphans []replay.Orphan `json:"orphans"`
	// SlogFiles are the files of the slog dir, to archive.
	SlogFiles []SlogFile `json:"slog_files"`
	// FoldMutations and FoldBytes total the replicas' (bytes: the new
	// files' sizes, headers and block headers included).
	FoldMutations int64 `json:"fold_mutations"`
	FoldBytes     int64 `json:"fold_bytes"`
	// Before is what every loaded replica recovers under the 2.4 rules on
	// the root as it is: what Prove compares the new root with.
	Before []State `json:"before"`
	// Refusals are what the 2.4 server refuses on the root as it is (the
	// fatal findings of its replay: a plog refused or aborting, a replica
	// it does not load, a data dir missing), located. --apply refuses a
	// plan that has any, unless forced. The replay that makes the plan
	// reads every byte the server reads, so the check costs no extra pass
	// over the root (verify would read it all a third time).
	Refusals []finding.Finding `json:"refusals"`
	// Rebalance, when set (PlanRebalance), moves replica dirs between the
	// data dirs after the archive (rebalance.go).
	Rebalance *Rebalance `json:"rebalance,omitempty"`
	// Listing is the root's log files when the plan was made: rollback
	// refuses a root a server has written to since (WrittenSince).
	Listing *Listing `json:"listing"`
	// SlogArchive is where --apply moves the slog files (set by the
	// caller before the run begins), so that a resume moves them there too.
	SlogArchive string `json:"slog_archive,omitempty"`

	// Progress, if set, receives the slog bytes Fold reads (a bar); it is
	// not part of the stored plan.
	Progress func(n int64) `json:"-"`
}

// FoldReadBytes bounds what Fold reads of the slog (the bar's total):
// each group of FoldGroup replicas reads it at most once.
func (p *Plan) FoldReadBytes() int64 {
	var slog, groups int64
	for _, f := range p.SlogFiles {
		slog += f.Size
	}
	n := 0
	for _, rp := range p.Replicas {
		if rp.Fold > 0 {
			n++
		}
	}
	groups = int64((n + FoldGroup - 1) / FoldGroup)
	return slog * groups
}

// NotLoaded is a replica dir the server does not load.
type NotLoaded struct {
	Gpid   gpid.Gpid `json:"gpid"`
	Dir    string    `json:"dir"`
	Reason string    `json:"reason"`
}

// NothingToDo reports whether applying the plan would change nothing: no
// slog file to fold or archive (a root upgraded already), no replica dir
// to move.
func (p *Plan) NothingToDo() bool {
	return p.FoldMutations == 0 && len(p.SlogFiles) == 0 && (p.Rebalance == nil || len(p.Rebalance.Moves) == 0)
}

// SlogFile is a file of the slog dir.
type SlogFile struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
}

// ReplicaPlan is one replica's fold.
type ReplicaPlan struct {
	Gpid    gpid.Gpid `json:"gpid"`
	Dir     string    `json:"dir"`
	PlogDir string    `json:"plog_dir"`
	// The plog as the server opens it (plog.State): the newest file's
	// index, where its valid data ends, the in-memory max decree the
	// replay rebuilds and max_commit_on_disk (replay).
	LastIndex       int32 `json:"last_index"`
	EndOffset       int64 `json:"end_offset"`
	MaxDecree       int64 `json:"max_decree"`
	MaxCommitOnDisk int64 `json:"max_commit_on_disk"`
	// ValidStartOffset is init_offset_in_private_log (.init-info), what
	// set_valid_start_offset_on_open puts in the header.
	ValidStartOffset int64 `json:"valid_start_offset"`
	// CreatePlogDir: the plog dir does not exist (mutation_log::open
	// creates it).
	CreatePlogDir bool `json:"create_plog_dir,omitempty"`

	// Fold counts the slog mutations folded, FoldBytes their encoded size.
	Fold      int64 `json:"fold"`
	FoldBytes int64 `json:"fold_bytes"`
	// Appended are those the server appends (decree above the plog's
	// max_commit_on_disk, at or past init_offset_in_shared_log).
	Appended int64 `json:"appended"`
	// BeyondRule are folded although the append rule does not take them:
	// the slog replay still changes the replica with them (it prepares
	// them, e.g. to fill a hole the plog has below max_commit_on_disk, or
	// they raise its ballot). Folding them keeps the recovered state equal.
	BeyondRule        int64           `json:"beyond_rule"`
	BeyondRuleDecrees []decrees.Range `json:"beyond_rule_decrees"`
	// Decrees folded.
	Decrees []decrees.Range `json:"decrees"`
	// Ranges name the folded mutations: every slog mutation of this gpid
	// whose log_offset is within one of them, in slog order.
	Ranges []OffsetRange `json:"ranges"`
	// Hash is the SHA-256 of the folded mutations' content (encoded with
	// log_offset 0), in order; Fold checks that it re-reads the same.
	Hash string `json:"hash"`
	// NewFiles are the plog files the fold creates, in order.
	NewFiles []NewFile `json:"new_files"`
	// Unfoldable are effects of the slog replay a plog cannot carry (a
	// ballot raised by a mutation before init_offset_in_shared_log): the
	// proof says whether they matter.
	Unfoldable []string `json:"unfoldable,omitempty"`
}

// OffsetRange is a range of slog global offsets, both ends included.
type OffsetRange struct {
	From int64 `json:"from"`
	To   int64 `json:"to"`
}

// NewFile is a plog file the fold creates.
type NewFile struct {
	Path      string `json:"path"`
	Size      int64  `json:"size"`
	Mutations int64  `json:"mutations"`
	// Header is its header's entry, as mutation_log::create_new_log_file
	// writes it: the in-memory max decree before its first batch.
	Header format.ReplicaLogInfo `json:"header"`
}

// State is what a replica recovers: the app's committed decree, its
// ballot, the decrees left prepared, and the recovered stream.
type State struct {
	Gpid      gpid.Gpid       `json:"gpid"`
	Committed int64           `json:"committed"`
	Ballot    int64           `json:"ballot"`
	Prepared  []decrees.Range `json:"prepared"`
	Stream    Stream          `json:"stream"`
}

// Stream is a recovered mutation stream in commit order (the committed
// mutations, then the prepared ones), as counts and one SHA-256 over the
// content of each mutation (encoded with log_offset 0: folded copies have
// new offsets) and whether it is committed.
type Stream struct {
	Committed int64  `json:"committed"`
	Prepared  int64  `json:"prepared"`
	Hash      string `json:"hash"`
}

// contentHash adds m's content, without its log offset, to h. buf is
// scratch space, returned for reuse.
func contentHash(h hash.Hash, m *format.Mutation, tag byte, buf []byte) []byte {
	off := m.LogOffset
	m.LogOffset = 0
	buf = append(buf[:0], tag)
	buf = m.Append(buf)
	m.LogOffset = off
	h.Write(buf)
	return buf
}

// stateOf replays root under v and returns every loaded replica's state,
// with the replay result. onSlog is passed to replay.
// seen, if set, is called with every mutation the replay emits.
func stateOf(root *dataroot.Root, v pegasus.Version, opts Options, onSlog func(replay.SlogMutation) error, seen func(*format.Mutation)) ([]State, *replay.Result, error) {
	type acc struct {
		h         hash.Hash
		committed int64
		prepared  int64
	}
	accs := map[gpid.Gpid]*acc{}
	var buf []byte
	res, err := replay.Run(root, replay.Options{
		Version: v, DurableDecrees: opts.DurableDecrees, MaxPrepareCount: opts.MaxPrepareCount,
		Workers: opts.Workers, Progress: opts.Progress, EmitAll: true, OnSlog: onSlog,
		Emit: func(m *format.Mutation, _ replay.Loc, committed bool) error {
			if seen != nil {
				seen(m)
			}
			a := accs[m.Gpid]
			if a == nil {
				a = &acc{h: sha256.New()}
				accs[m.Gpid] = a
			}
			tag := byte('p')
			if committed {
				tag = 'c'
				a.committed++
			} else {
				a.prepared++
			}
			buf = contentHash(a.h, m, tag, buf)
			return nil
		},
	})
	if err != nil {
		return nil, nil, err
	}
	var out []State
	for _, rr := range res.Replicas {
		if rr.Error != "" {
			continue
		}
		g := rr.Gpid
		st := State{Gpid: g, Committed: rr.CommittedDecree, Ballot: rr.Ballot, Prepared: rr.Prepared}
		if a := accs[g]; a != nil {
			st.Stream = Stream{Committed: a.committed, Prepared: a.prepared, Hash: hex.EncodeToString(a.h.Sum(nil))}
		} else {
			st.Stream.Hash = hex.EncodeToString(sha256.New().Sum(nil))
		}
		out = append(out, st)
	}
	return out, res, nil
}

// PlanUpgrade decides, reading only, what an upgrade of root does: per
// loaded replica, the slog mutations to fold into new plog files (those
// the 2.4/2.5 server appends, replica::replay_mutation; and those its slog
// replay uses beyond that rule), the files, and the before-state the proof
// compares with. It refuses a root the 2.4 server would not start on (a
// replay abort, a slog that fails to open) and one whose slog was not read.
func PlanUpgrade(root *dataroot.Root, opts Options) (*Plan, error) {
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = format.DefaultMaxFileSize
	}
	if !root.SlogExists {
		why := "no slog was read"
		if root.SlogDir != "" {
			why = fmt.Sprintf("slog dir %s: %s", root.SlogDir, root.Sources.SlogDir.State)
		}
		var fs []finding.Finding
		for _, f := range root.Findings {
			if f.Path == root.SlogDir {
				// A warning to verify, which checks what is there; the
				// evidence a plan needs, missing.
				f.Class = max(f.Class, finding.Missing)
				fs = append(fs, f)
			}
		}
		return nil, &finding.Refused{Msg: fmt.Sprintf("migrate: %s: without the slog there is no telling what to fold (%s)", why, dataroot.SlogHint), Findings: fs}
	}
	p := &Plan{Root: root.Path, SlogDir: root.SlogDir, MaxFileSize: opts.MaxFileSize, Replicas: []*ReplicaPlan{}, NotLoaded: []NotLoaded{}, SlogFiles: []SlogFile{}}
	p.DataDirs = root.DataDirPaths()
	byGpid := map[gpid.Gpid]*folder{}
	for _, dr := range root.Replicas {
		ii := dr.InitInfo
		if ii == nil {
			continue
		}
		byGpid[dr.Gpid] = &folder{rp: &ReplicaPlan{Gpid: dr.Gpid, Dir: dr.Dir, PlogDir: dr.PlogDir, ValidStartOffset: ii.InitOffsetInPrivateLog}, h: sha256.New()}
	}
	var buf []byte
	onSlog := func(sm replay.SlogMutation) error {
		f := byGpid[sm.M.Gpid]
		if f == nil {
			return fmt.Errorf("migrate: slog mutation of %s routed to no replica dir", sm.M.Gpid)
		}
		if sm.BeforeValidStart {
			if sm.BallotRaised {
				f.rp.Unfoldable = append(f.rp.Unfoldable, fmt.Sprintf("slog mutation decree %d at offset %d raises the ballot to %d but lies before init_offset_in_shared_log", sm.M.Decree, sm.M.LogOffset, sm.M.Ballot))
			}
			f.last = false
			return nil
		}
		if !(sm.Appended || sm.Prepared || sm.BallotRaised) {
			f.last = false
			return nil
		}
		rp := f.rp
		rp.Fold++
		rp.FoldBytes += int64(sm.M.Size())
		f.decrees.Add(sm.M.Decree)
		if sm.Appended {
			rp.Appended++
		} else {
			rp.BeyondRule++
			f.beyond.Add(sm.M.Decree)
		}
		if f.last {
			rp.Ranges[len(rp.Ranges)-1].To = sm.M.LogOffset
		} else {
			rp.Ranges = append(rp.Ranges, OffsetRange{From: sm.M.LogOffset, To: sm.M.LogOffset})
		}
		f.last = true
		buf = contentHash(f.h, sm.M, 'f', buf)
		f.add(int64(sm.M.Size()), sm.M.Decree, opts.MaxFileSize)
		return nil
	}
	before, res, err := stateOf(root, pegasus.V24, opts, onSlog, nil)
	if err != nil {
		return nil, err
	}
	if res.Abort != "" {
		return nil, &finding.Refused{Msg: fmt.Sprintf("migrate: the 2.4 server aborts on this root, refusing to migrate it: %s", res.Abort),
			Findings: finding.Fatals(res.Findings)}
	}
	if res.Slog == nil || res.Slog.Error != "" {
		why := "not read"
		if res.Slog != nil {
			why = res.Slog.Error
		}
		return nil, &finding.Refused{Msg: fmt.Sprintf("migrate: the slog replay fails (%s): the 2.4 server moves every replica to .err; refusing", why),
			Findings: finding.Fatals(res.Findings)}
	}
	p.Before = before
	p.Orphans = res.Orphans
	p.Refusals = finding.Fatals(res.Findings)

	for i, rr := range res.Replicas {
		dr := root.Replicas[i]
		if rr.Error != "" {
			p.NotLoaded = append(p.NotLoaded, NotLoaded{Gpid: dr.Gpid, Dir: dr.Dir, Reason: rr.Error})
			continue
		}
		f := byGpid[dr.Gpid]
		rp := f.rp
		rp.MaxCommitOnDisk = rr.Plog.MaxCommit
		rp.Decrees = f.decrees.Ranges()
		rp.BeyondRuleDecrees = f.beyond.Ranges()
		rp.Hash = hex.EncodeToString(f.h.Sum(nil))
		if rp.Ranges == nil {
			rp.Ranges = []OffsetRange{}
		}
		rp.NewFiles = []NewFile{}
		if rp.Fold > 0 {
			if err := f.openState(root.FS, dr, rr); err != nil {
				return nil, err
			}
			f.finish()
			for _, nf := range rp.NewFiles {
				p.FoldBytes += nf.Size
			}
			p.FoldMutations += rp.Fold
		}
		p.Replicas = append(p.Replicas, rp)
	}

	dir, err := format.OpenDir(root.FS, root.SlogDir)
	if err != nil {
		return nil, fmt.Errorf("migrate: slog dir: %w", err)
	}
	for _, lf := range dir.Files {
		p.SlogFiles = append(p.SlogFiles, SlogFile{Path: lf.Path, Size: lf.Size})
	}
	sort.Slice(p.Replicas, func(i, j int) bool { return p.Replicas[i].Gpid.Less(p.Replicas[j].Gpid) })
	if p.Listing, err = ListLogs(root.FS, root); err != nil {
		return nil, err
	}
	return p, nil
}

// folder gathers one replica's fold while the slog replays.
type folder struct {
	rp      *ReplicaPlan
	h       hash.Hash
	last    bool // the previous slog mutation of this gpid was folded
	decrees decrees.Set
	beyond  decrees.Set

	// The layout of the new files, relative to the plog's end until
	// finish knows it (the plog's state is read after the replay).
	files  []NewFile
	cur    *NewFile
	end    int64 // offset past the folded data, relative
	maxDec int64 // max decree folded so far
}

// openState takes the plog's state as the server opens it and starts the
// layout. The replay just read the plog with the rules of mutation_log::open
// and replay (the header blocks, the replay start, the chain rules, the
// valid start offset): its newest file's index, end offset, max decree and
// the files open drops are plog.ReadState's, without reading the plog a
// second time. A layout that disagreed with what the server rebuilds would
// make the 2.6 replay of the new root differ: the proof checks it.
func (f *folder) openState(fsys vfs.FS, dr *dataroot.Replica, rr *replay.ReplicaResult) error {
	rp := f.rp
	switch {
	case rr.Plog.FirstFile == "" && notExist(fsys, dr.PlogDir):
		rp.CreatePlogDir = true
	case len(rr.Plog.Removed) > 0:
		return fmt.Errorf("migrate: replica %s: plog files %v have an incomplete block 0 (the server renames them .removed at open); refusing", dr.Gpid, rr.Plog.Removed)
	case rr.Plog.FirstFile != "":
		rp.LastIndex, rp.EndOffset, rp.MaxDecree = rr.Plog.LastIndex, rr.Plog.EndOffset, rr.Plog.MaxDecree
	}
	// The first folded mutation lands after the new file's header block
	// and its own block header; 2.6 ignores it below the valid start.
	first := rp.EndOffset + format.BlockHeaderSize + int64(headerSize) + format.BlockHeaderSize
	if first < rp.ValidStartOffset {
		return fmt.Errorf("migrate: replica %s: the plog ends at %d, before init_offset_in_private_log %d: folded mutations would be ignored; refusing", dr.Gpid, rp.EndOffset, rp.ValidStartOffset)
	}
	return nil
}

func notExist(fsys vfs.FS, dir string) bool {
	_, err := fsys.Stat(dir)
	return errors.Is(err, os.ErrNotExist)
}

// headerSize is the size of a plog file header (one entry).
var headerSize = (&format.FileHeader{Entries: make([]format.ReplicaLogInfo, 1)}).Size()

// add lays one folded mutation out as format.LogWriter does with one
// mutation per batch: a new file before a batch once the current one has
// reached maxSize, its header carrying the max decree before the batch.
// Offsets are relative to the plog's end and max decrees cover the folded
// mutations only until finish knows the plog's state.
func (f *folder) add(size, decree, maxSize int64) {
	if f.cur == nil || f.cur.Size >= maxSize {
		f.closeFile()
		f.cur = &NewFile{
			Path:   fmt.Sprint(f.end), // relative start, named in finish
			Header: format.ReplicaLogInfo{Gpid: f.rp.Gpid, MaxDecree: f.maxDec, ValidStartOffset: f.rp.ValidStartOffset},
			Size:   int64(format.BlockHeaderSize + headerSize),
		}
		f.end += f.cur.Size
	}
	n := int64(format.BlockHeaderSize) + size
	f.cur.Size += n
	f.cur.Mutations++
	f.end += n
	f.maxDec = max(f.maxDec, decree)
}

func (f *folder) closeFile() {
	if f.cur != nil {
		f.files = append(f.files, *f.cur)
		f.cur = nil
	}
}

// finish names the files once the plog's state is known.
func (f *folder) finish() {
	f.closeFile()
	rp := f.rp
	var rel int64
	for i := range f.files {
		nf := &f.files[i]
		nf.Path = filepath.Join(rp.PlogDir, format.FileName(rp.LastIndex+int32(i)+1, rp.EndOffset+rel))
		nf.Header.MaxDecree = max(nf.Header.MaxDecree, rp.MaxDecree)
		rel += nf.Size
	}
	rp.NewFiles = f.files
}
