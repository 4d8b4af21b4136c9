// Package replay models, offline and exactly, what a Pegasus replica server
// recovers from its logs at startup: every replica's private log first,
// then the shared log (replica_stub::initialize), with the prepare-list
// rules that decide what is committed, what stays prepared and when the
// server aborts. It reads only.
package replay

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"sync"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/decrees"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/internal/par"
	"github.com/waltool/waltool/logrules"
	"github.com/waltool/waltool/pegasus"
	"github.com/waltool/waltool/vfs"
)

// Loc is where a mutation was read: the log file and its position in it.
type Loc struct {
	File string
	Pos  format.Pos
}

// Options of a replay.
type Options struct {
	Version pegasus.Version
	// DurableDecrees overrides the durable decree derived from checkpoint
	// dirs (RocksDB's pegasus_last_flushed_decree is what the server uses;
	// we cannot read RocksDB).
	DurableDecrees map[gpid.Gpid]int64
	// Emit, if set, receives the recovered mutation stream of EmitGpid in
	// commit order: committed mutations first, then the prepared ones,
	// each with the file and position it was read from (the plog or, for
	// what the server appends from it, the slog). It is called from one
	// goroutine at a time.
	EmitGpid *gpid.Gpid
	Emit     func(m *format.Mutation, at Loc, committed bool) error
	// EmitAll sends the recovered stream of every loaded replica to Emit
	// (EmitGpid is then ignored): each replica's stream in its commit
	// order, the streams of different replicas interleaved (m.Gpid tells
	// them apart); calls are still never concurrent. The prepared tails
	// come last, replica by replica in gpid order.
	EmitAll bool
	// OnSlog, if set, receives every slog mutation that the slog replay
	// (<= 2.5; for 2.6 none) routes to a loaded replica, in slog order, with
	// what the replica did with it: the hook migrate folds the slog into
	// the plogs with. Its error stops the replay and is returned by Run.
	OnSlog func(SlogMutation) error
	// MaxPrepareCount is max_mutation_count_in_prepare_list (110).
	MaxPrepareCount int
	// Workers replaying plogs at once; 0 means one per CPU.
	Workers int
	// Progress, if set, is called with the number of log bytes read since
	// its last call (every plog and slog file counts, replayed or
	// skipped), for a progress bar; it may be called from several
	// goroutines at once.
	Progress func(n int64)
}

// Run replays a data root as a server of opts.Version would.
func Run(root *dataroot.Root, opts Options) (*Result, error) {
	if opts.Version == "" {
		opts.Version = pegasus.V24
	}
	if opts.MaxPrepareCount <= 0 {
		opts.MaxPrepareCount = DefaultMaxPrepareCount
	}
	res := &Result{ServerVersion: opts.Version, Replicas: []*ReplicaResult{}, Orphans: []Orphan{}}
	reps := make([]*replica, len(root.Replicas))
	results := make([]*ReplicaResult, len(root.Replicas))
	loaded := map[gpid.Gpid]*replica{}
	notLoaded := map[gpid.Gpid]string{}
	var emitErr error

	// Load and replay every plog; replicas are independent, as the
	// server's parallel LPC_REPLICATION_INIT_LOAD tasks are.
	for i, dr := range root.Replicas {
		rr := &ReplicaResult{Gpid: dr.Gpid, Path: dr.Dir, SlogOnlyDecrees: []decrees.Range{}, Prepared: []decrees.Range{}, Holes: []decrees.Range{}, LostIfSlogIgnored: []decrees.Range{}, Lost: []decrees.Range{}}
		results[i] = rr
		r, why := newReplicaFor(dr, opts)
		if r == nil {
			rr.Error = "not loaded: " + why
			notLoaded[dr.Gpid] = why
			continue
		}
		reps[i] = r
	}
	// One replica emits, so Emit is never called from two goroutines: with
	// several dirs of the gpid (the server aborts, "conflict replica dir"),
	// the last one loaded in root order, which is the one kept below for
	// the slog and the prepared tail (unless its plog fails to replay).
	if opts.EmitAll && opts.Emit != nil {
		var mu sync.Mutex
		seen := map[gpid.Gpid]bool{}
		for _, r := range slices.Backward(reps) {
			if r == nil || seen[r.gpid] {
				continue
			}
			seen[r.gpid] = true
			r.keepMutations = true
			r.emit = func(m *format.Mutation, at Loc) {
				mu.Lock()
				defer mu.Unlock()
				if err := opts.Emit(m, at, true); err != nil && emitErr == nil {
					emitErr = err
				}
			}
		}
	} else if opts.EmitGpid != nil && opts.Emit != nil {
		for _, r := range slices.Backward(reps) {
			if r != nil && r.gpid == *opts.EmitGpid {
				r.keepMutations = true
				r.emit = func(m *format.Mutation, at Loc) {
					if err := opts.Emit(m, at, true); err != nil && emitErr == nil {
						emitErr = err
					}
				}
				break
			}
		}
	}
	par.Each(len(reps), par.Workers(opts.Workers, len(reps)), func(i int) {
		if r := reps[i]; r != nil {
			replayPlog(root.FS, r, root.Replicas[i], results[i], opts.Progress)
		}
	})
	if emitErr != nil {
		return nil, emitErr
	}
	for i, r := range reps {
		if r == nil {
			continue
		}
		res.MutationsRead += r.plogRead
		if r.err != nil {
			results[i].Error = r.err.Error()
			notLoaded[r.gpid] = "its plog failed to replay"
			if errors.Is(r.err, ErrAbort) && res.Abort == "" {
				res.Abort = fmt.Sprintf("replica %s: %v", r.gpid, r.err)
			}
			continue
		}
		if _, dup := loaded[r.gpid]; dup {
			// replica_stub::initialize: CHECK "conflict replica dir".
			res.Abort = fmt.Sprintf("%v: replica_stub::initialize: conflict replica dir for %s", ErrAbort, r.gpid)
		}
		loaded[r.gpid] = r
	}

	// What a server that ignores the slog (2.6) keeps.
	type snap struct {
		committed int64
		prepared  decrees.Set
		entries   []*entry
	}
	plogOnly := map[gpid.Gpid]*snap{}
	for g, r := range loaded {
		c, p := r.snapshot()
		_, es := r.recovered()
		plogOnly[g] = &snap{c, p, es}
		if opts.Version == pegasus.V26 {
			r.emit = nil // the stream 2.6 recovers ends with the plog
		}
	}

	// The slog, read even for 2.6 to tell what 2.6 loses.
	if root.SlogExists {
		var onSlog func(SlogMutation) error
		if opts.Version != pegasus.V26 {
			onSlog = opts.OnSlog
		}
		res.Slog = replaySlog(root.FS, root.SlogDir, loaded, notLoaded, res, opts.Progress, onSlog)
		res.Slog.Read = opts.Version != pegasus.V26
		if res.Slog.hookErr != nil {
			return nil, res.Slog.hookErr
		}
		res.MutationsRead += int64(res.Slog.Mutations)
		if emitErr != nil {
			return nil, emitErr
		}
	}
	slogFailed := res.Slog != nil && res.Slog.Error != ""

	for i, r := range reps {
		rr := results[i]
		if r != nil && r.err != nil && rr.Error == "" {
			rr.Error = "the slog replay aborts the server here: " + r.err.Error()
		}
		if r == nil || r.err != nil {
			continue
		}
		fillReplica(rr, r)
		full := &snap{}
		full.committed, full.prepared = r.snapshot()
		po := plogOnly[r.gpid]
		rr.LostIfSlogIgnored = lost(full.committed, &full.prepared, po.committed, &po.prepared)
		switch {
		case opts.Version == pegasus.V26:
			// HEAD (2.6) has no slog code: nothing is appended from it.
			rr.AppendedFromSlog = 0
			rr.CommittedDecree = po.committed
			rr.Prepared = po.prepared.Ranges()
			rr.Lost = rr.LostIfSlogIgnored
		case slogFailed:
			rr.Error = "slog replay failed: the server moves every replica to .err (" + res.Slog.Error + ")"
		default:
			rr.CommittedDecree = full.committed
			rr.Prepared = full.prepared.Ranges()
		}
		rr.Holes = holes(rr.CommittedDecree, rr.Prepared)
		if opts.Version == pegasus.V23 && !slogFailed && res.Slog != nil {
			// rdsn 2.3 replica_stub::initialize: smax vs pmax after the
			// plog was flushed (it then also holds the appended mutations).
			smax, pmax := r.slogMaxDecree, max(r.plogMaxDecree, r.appendedMax)
			if smax != 0 && smax != pmax {
				rr.LogIncomplete = true
				res.AllInactive = true
			}
		}
	}

	// The prepared tail of the emitted replica, after its commits.
	if opts.EmitAll && opts.Emit != nil {
		gs := make([]gpid.Gpid, 0, len(loaded))
		for g := range loaded {
			gs = append(gs, g)
		}
		sort.Slice(gs, func(i, j int) bool { return gs[i].Less(gs[j]) })
		for _, g := range gs {
			r := loaded[g]
			es := plogOnly[g].entries
			if opts.Version != pegasus.V26 {
				_, es = r.recovered()
			}
			for _, e := range es {
				if e.m == nil {
					continue
				}
				if err := opts.Emit(e.m, e.at, false); err != nil {
					return nil, err
				}
			}
		}
	} else if opts.EmitGpid != nil && opts.Emit != nil {
		if r := loaded[*opts.EmitGpid]; r != nil {
			es := plogOnly[r.gpid].entries
			if opts.Version != pegasus.V26 {
				_, es = r.recovered()
			}
			for _, e := range es {
				if err := opts.Emit(e.m, e.at, false); err != nil {
					return nil, err
				}
			}
		}
	}

	res.Replicas = results
	if root.Path != "" {
		src := root.Sources
		res.ServerDirs = &src
	}
	res.NoSlogRead = noSlogRead(root)
	res.collectFindings(root, reps)
	res.OK = res.Abort == "" && !finding.AnyFatal(res.Findings)
	for _, rr := range results {
		if rr.Error != "" || len(rr.Lost) > 0 {
			res.OK = false
		}
	}
	sort.Slice(res.Orphans, func(i, j int) bool { return res.Orphans[i].Gpid.Less(res.Orphans[j].Gpid) })
	return res, nil
}

// newReplicaFor sets a replica up as replica::init_app_and_prepare_list
// does, or says why the server would not load it (the reason alone:
// callers prefix it).
func newReplicaFor(dr *dataroot.Replica, opts Options) (*replica, string) {
	for _, f := range dataroot.ValidateReplica(dr) {
		if f.Class.Fatal() {
			return nil, f.Message
		}
	}
	if dr.InitInfo == nil {
		return nil, "no .init-info"
	}
	durable := dr.DurableDecree
	if d, ok := opts.DurableDecrees[dr.Gpid]; ok {
		durable = d
	}
	ii := dr.InitInfo
	if durable < ii.InitDurableDecree {
		return nil, fmt.Sprintf("durable decree %d < init_durable_decree %d (ERR_INCOMPLETE_DATA)", durable, ii.InitDurableDecree)
	}
	return newReplica(dr.Gpid, durable, ii.InitBallot, ii.InitOffsetInPrivateLog, ii.InitOffsetInSharedLog, opts.MaxPrepareCount), ""
}

// replayPlog is the private half of replica::init_app_and_prepare_list:
// mutation_log::open with replay_condition {gpid: app lcd}.
func replayPlog(fsys vfs.FS, r *replica, dr *dataroot.Replica, rr *ReplicaResult, progress func(int64)) {
	dir, err := format.OpenDir(fsys, dr.PlogDir)
	if errors.Is(err, os.ErrNotExist) {
		return // open creates an empty log
	}
	if err != nil {
		r.err = err
		return
	}
	if dir.DuplicateIndex != nil {
		r.err = fmt.Errorf("%w: %w", ErrAbort, dir.DuplicateIndex)
		return
	}
	pr := newLogProgress(progress, dir)
	defer pr.finish()
	log, err := logrules.Open(fsys, dir)
	if err != nil {
		r.err = fmt.Errorf("plog open failed: %w", err)
		return
	}
	for _, sk := range log.Skipped {
		rr.Plog.Removed = append(rr.Plog.Removed, sk.File.Name())
	}
	begin := logrules.PrivateReplayStart(log.Headers(), r.gpid, r.app)
	if len(log.Files) > 0 {
		rr.Plog.FirstFile = log.Files[begin].Name()
		rr.Plog.LastIndex = log.Files[len(log.Files)-1].Index
	}
	files := &locator{files: log.Files[begin:]}
	rep, err := log.Replay(begin, func(m *format.Mutation, pos format.Pos) error {
		r.plogRead++
		pr.to(m.LogOffset + int64(pos.Size))
		var at Loc
		if r.keepMutations {
			at = files.at(m, pos)
		}
		ok, err := r.replayMutation(m, at, true)
		if err != nil {
			return locate(files, m, pos, err)
		}
		if ok {
			r.plogMaxDecree = max(r.plogMaxDecree, m.Decree)
			r.plogMaxCommit = max(r.plogMaxCommit, m.LastCommittedDecree)
			r.plogDecrees.Add(m.Decree)
			r.plogMutations++
		}
		return nil
	})
	rr.Plog.EndOffset = rep.EndOffset
	if err != nil {
		r.err = fmt.Errorf("plog replay failed: %w", err)
	}
}

func fillReplica(rr *ReplicaResult, r *replica) {
	rr.DurableDecree = r.durable
	rr.Ballot = r.ballot
	rr.Plog.MinDecree, rr.Plog.MaxDecree = r.plogDecrees.Min(), r.plogMaxDecree
	rr.Plog.MaxCommit = r.plogMaxCommit
	rr.Plog.Mutations = r.plogMutations
	rr.Slog.Mutations = r.slogMutations
	rr.Slog.MinDecree, rr.Slog.MaxDecree = r.slogDecrees.Min(), r.slogDecrees.Max()
	rr.AppendedFromSlog = int64(r.appendedFromSlog)
	// Above the durable decree only: below it the app's checkpoint has the
	// data, and the plog files holding it may not even be replayed.
	rr.SlogOnlyDecrees = above(r.slogDecrees.Minus(&r.plogDecrees), r.durable)
}

// lost returns the decrees recovered with the slog and not without it.
// Ranges, never loops over decrees: a decree may be anywhere in int64.
func lost(fullCommitted int64, fullPrepared *decrees.Set, committed int64, prepared *decrees.Set) []decrees.Range {
	var full, part decrees.Set
	if lo := min(fullCommitted, committed); lo < math.MaxInt64 {
		full.AddRange(lo+1, fullCommitted)
		part.AddRange(lo+1, committed)
	}
	for _, rg := range fullPrepared.Ranges() {
		full.AddRange(rg.First, rg.Last)
	}
	for _, rg := range prepared.Ranges() {
		part.AddRange(rg.First, rg.Last)
	}
	return full.Minus(&part)
}

// holes are the decrees missing between committed and the last prepared.
func holes(committed int64, prepared []decrees.Range) []decrees.Range {
	out := []decrees.Range{}
	for _, r := range prepared {
		if r.Last <= committed {
			continue
		}
		if r.First > committed+1 { // committed < r.Last, so +1 exists
			out = append(out, decrees.Range{First: committed + 1, Last: r.First - 1})
		}
		committed = r.Last
	}
	return out
}

// above keeps the part of rs above d.
func above(rs []decrees.Range, d int64) []decrees.Range {
	out := []decrees.Range{}
	for _, r := range rs {
		if r.Last > d { // so d+1 exists
			out = append(out, decrees.Range{First: max(r.First, d+1), Last: r.Last})
		}
	}
	return out
}

// noSlogRead says why no slog was read when the server may have one, ""
// when one was read or the operator stated there is none (--no-slog).
func noSlogRead(root *dataroot.Root) string {
	switch {
	case root.SlogExists || root.Sources.NoSlog:
		return ""
	case root.SlogDir == "":
		return "a replica dir replayed alone reads no slog"
	}
	st := root.Sources.SlogDir.State
	if st == "" {
		st = "not read"
	}
	return fmt.Sprintf("slog dir %s: %s", root.SlogDir, st)
}

// locator finds the file a replayed mutation was read from. The codec
// checks that a mutation's log_offset is its file's start offset plus its
// offset in the file, and files are replayed in order, so the search only
// moves forward.
type locator struct {
	files []logrules.OpenedFile
	i     int
}

func (l *locator) at(m *format.Mutation, pos format.Pos) Loc {
	start := m.LogOffset - pos.FileOffset
	for j := l.i; j < len(l.files); j++ {
		if l.files[j].StartOffset == start {
			l.i = j
			return Loc{File: l.files[j].Path, Pos: pos}
		}
	}
	return Loc{Pos: pos}
}

// logProgress reports the bytes of one log dir to Options.Progress as its
// replay advances through global log offsets, and all of them at the end
// (files the replay skips included).
type logProgress struct {
	fn          func(int64)
	base        int64 // global offset of the first file
	sent, total int64
}

func newLogProgress(fn func(int64), dir *format.Dir) *logProgress {
	p := &logProgress{fn: fn}
	for i, f := range dir.Files {
		if i == 0 {
			p.base = f.StartOffset
		}
		p.total += f.Size
	}
	return p
}

// to reports progress up to the global log offset end.
func (p *logProgress) to(end int64) {
	if p.fn == nil {
		return
	}
	if done := min(end-p.base, p.total); done-p.sent >= 1<<20 {
		p.fn(done - p.sent)
		p.sent = done
	}
}

func (p *logProgress) finish() {
	if p.fn != nil && p.total > p.sent {
		p.fn(p.total - p.sent)
		p.sent = p.total
	}
}
