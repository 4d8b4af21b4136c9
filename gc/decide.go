package gc

import (
	"fmt"
	"sort"

	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/internal/iec"
)

// Citations below: "ml24" is apache/incubator-pegasus v2.4.0
// src/rdsn/src/replica/mutation_log.cpp (same code in XiaoMi/rdsn v2.3.0),
// "ml25" v2.5.0 src/replica/mutation_log.cpp, "rs24"/"rs25" the
// replica_stub.cpp of those tags, "chkpt25" v2.5.0 src/replica/replica_chkpt.cpp.

// Verdict is what GC does with a file.
type Verdict string

const (
	Delete Verdict = "delete"
	Keep   Verdict = "keep"
)

// Blocker is a replica that keeps a file: the decree its GC condition
// would need to reach for the file to go, and the decrees it has.
type Blocker struct {
	Gpid gpid.Gpid `json:"gpid"`
	// NeedsDecree is the max decree of this replica the file covers
	// (mutation_log's max_decree for the newest file, else the header of
	// the next file): the condition must reach it.
	NeedsDecree int64 `json:"needs_decree"`
	// DurableDecree is the app's last durable decree.
	DurableDecree int64 `json:"durable_decree"`
	// PlogMaxCommit is the plog's max_commit_on_disk (slog GC only: the
	// condition is min(durable, it)).
	PlogMaxCommit *int64 `json:"plog_max_commit,omitempty"`
	// ConfirmedDecree is the duplication's confirmed decree, when given
	// (plog GC only: the condition is min(durable, it)).
	ConfirmedDecree *int64 `json:"dup_confirmed_decree,omitempty"`
}

// FileDecision is the verdict on one file, and why.
type FileDecision struct {
	Verdict   Verdict
	Reason    string
	BlockedBy []Blocker
}

// Decision is one GC pass over one log: a verdict per file, in the input's
// (ascending index) order; the deleted files are always a prefix.
type Decision struct {
	Files []FileDecision
	// Findings: a CHECK the pass hits (the server aborts, nothing is
	// deleted), with the gpid.
	Findings []finding.Finding
}

// Deletes is how many files, from the oldest, the pass deletes.
func (d *Decision) Deletes() int {
	n := 0
	for _, f := range d.Files {
		if f.Verdict == Delete {
			n++
		}
	}
	return n
}

// --- plog ---

// PlogFile is one file of a private log as mutation_log::open keeps it.
type PlogFile struct {
	Path        string
	Index       int32
	StartOffset int64
	Size        int64 // end_offset - start_offset
	// HeaderMaxDecree is the header's max decree for the owner gpid (the
	// max decree of every older file); HeaderHasGpid false when the header
	// lacks it.
	HeaderMaxDecree int64
	HeaderHasGpid   bool
	// Mtime is the file's last write time in Unix seconds, as
	// dsn::utils::filesystem::last_write_time reads it; MtimeOK false when
	// it could not be read.
	Mtime   int64
	MtimeOK bool
}

// EndOffset is log_file::end_offset.
func (f PlogFile) EndOffset() int64 { return f.StartOffset + f.Size }

// PlogInput is what mutation_log::garbage_collection(gpid, cleanable_decree,
// valid_start_offset, reserve_max_size, reserve_max_time) reads (ml24 L1288).
type PlogInput struct {
	Gpid  gpid.Gpid
	Files []PlogFile // ascending index
	// MaxDecree is _private_log_info.max_decree: the max decree of the
	// mutations the plog's replay accepted (it covers the newest file).
	MaxDecree int64
	// CurrentIndex is the file being written, -1 when nothing was appended
	// since open: offline, always -1.
	CurrentIndex int32
	// Cleanable is cleanable_decree: the durable decree, or min(durable,
	// confirmed) while duplicating (chkpt25 L128-141).
	Cleanable int64
	// ValidStartOffset is .init-info's init_offset_in_private_log, or 0
	// while duplicating (chkpt25 L129, L134).
	ValidStartOffset int64
	// ReserveMaxSize (bytes) and ReserveMaxTime (seconds):
	// log_private_reserve_max_size_mb * MiB, log_private_reserve_max_time_seconds.
	ReserveMaxSize, ReserveMaxTime int64
	// Now is the clock, Unix seconds (dsn_now_ms() / 1000).
	Now int64
	// Durable and Confirmed only describe blockers.
	Durable   int64
	Confirmed *int64
	// KeepNewest is waltool's offline guard: never delete every file (see
	// Run: a plog emptied offline restarts at offset 0 on the next open).
	KeepNewest bool
}

// shouldReserve is should_reserve_file (ml24 L1253-1286): keep a file only
// while both limits allow it; a limit of 0 disables reserving.
func shouldReserve(f PlogFile, reserved, maxSize, maxTime, now int64) (bool, string) {
	if maxSize == 0 || maxTime == 0 { // ml24 L1258
		return false, ""
	}
	if reserved+f.Size > maxSize { // ml24 L1262
		return false, ""
	}
	if !f.MtimeOK { // ml24 L1270-1273: "reserve it for safety"
		return true, "its mtime cannot be read: should_reserve_file keeps it for safety"
	}
	if f.Mtime+maxTime < now { // ml24 L1279
		return false, ""
	}
	return true, fmt.Sprintf("reserved: %s kept so far + %s ≤ log_private_reserve_max_size_mb (%s), and written %ds ago ≤ log_private_reserve_max_time_seconds (%d) (should_reserve_file)",
		iec.Bytes(reserved), iec.Bytes(f.Size), iec.Bytes(maxSize), now-f.Mtime, maxTime)
}

// DecidePlog is one pass of the private-log GC (ml24 L1288-1411, the same
// at v2.5.0 and HEAD): walk the files newest to oldest carrying max_decree
// (the newest file's is the log's in-memory max decree, an older one's the
// header of the file after it); keep the current file and the reserved
// ones; the first file whose end is at or before valid_start_offset, or
// whose max decree is covered by cleanable_decree, is deleted with every
// older file, in ascending index order (no holes).
func DecidePlog(in PlogInput) Decision {
	n := len(in.Files)
	d := Decision{Files: make([]FileDecision, n)}
	for i := range d.Files {
		d.Files[i].Verdict = Keep
	}
	if n <= 1 { // ml24 L1308: files.size() <= 1, nothing to do
		for i := range d.Files {
			d.Files[i].Reason = "the plog's only file: garbage_collection does nothing with one file or none"
		}
		return d
	}
	maxDecree := in.MaxDecree
	var reserved int64
	mark := -1
	for i := n - 1; i >= 0; i-- {
		f := in.Files[i]
		fd := &d.Files[i]
		covers := "holds decrees up to"
		if i == n-1 {
			covers = "newest file: the log's max decree is"
		}
		if keep, why := shouldReserve(f, reserved, in.ReserveMaxSize, in.ReserveMaxTime, in.Now); f.Index == in.CurrentIndex { // ml24 L1328
			fd.Reason = "the current file, being written (kept, garbage_collection)"
		} else if keep { // ml24 L1333
			fd.Reason = why
		} else if in.ValidStartOffset >= f.EndOffset() { // ml24 L1339
			mark = i
			fd.Reason = fmt.Sprintf("ends at global offset %d, at or before valid_start_offset %d (init_offset_in_private_log): no valid mutation in it or older files", f.EndOffset(), in.ValidStartOffset)
			break
		} else if in.Cleanable >= maxDecree { // ml24 L1351
			mark = i
			fd.Reason = fmt.Sprintf("%s %d, covered by the cleanable decree %d: it and every older file can go", covers, maxDecree, in.Cleanable)
			break
		} else {
			fd.Reason = fmt.Sprintf("%s %d, above the cleanable decree %d", covers, maxDecree, in.Cleanable)
			fd.BlockedBy = []Blocker{{Gpid: in.Gpid, NeedsDecree: maxDecree, DurableDecree: in.Durable, ConfirmedDecree: in.Confirmed}}
		}
		// ml24 L1363-1365: the next (older) file's max decree is this
		// header's; dassert "impossible for private logs" when it lacks
		// the gpid: the server aborts before deleting anything.
		if !f.HeaderHasGpid {
			d.Findings = append(d.Findings, finding.New(finding.Corrupt, f.Path,
				"the header lacks the plog's own gpid %s: the plog GC aborts the server (mutation_log::garbage_collection: dassert \"impossible for private logs\")", in.Gpid).For(in.Gpid))
			for j := range d.Files {
				d.Files[j] = FileDecision{Verdict: Keep, Reason: "not reached: the GC pass aborts the server at " + in.Files[i].Path}
			}
			return d
		}
		maxDecree = f.HeaderMaxDecree
		reserved += f.Size
	}
	if mark < 0 {
		return d
	}
	stop := in.Files[mark].Path
	if mark == n-1 && in.KeepNewest {
		d.Files[n-1] = FileDecision{Verdict: Keep, Reason: "the server (nothing appended since it opened the log) would delete it too, " +
			"but a plog emptied offline restarts at log.1.0, offset 0, on the next open, below init_offset_in_private_log: waltool keeps the newest file. " + d.Files[n-1].Reason}
		mark = n - 2
	}
	// ml24 L1377-1409: delete in increasing index order, to avoid a hole.
	for i := 0; i <= mark; i++ {
		d.Files[i].Verdict = Delete
		if d.Files[i].Reason == "" {
			d.Files[i].Reason = fmt.Sprintf("older than %s, which can go: deleted with it, oldest first", baseName(stop))
		}
	}
	return d
}

// --- slog ---

// Rule is a slog GC rule: the server version whose rule it is.
type Rule string

const (
	Rule24 Rule = "2.4" // ≤ 2.4: mutation_log::garbage_collection(gc_condition, file_count_limit, prevent)
	Rule25 Rule = "2.5" // 2.5: mutation_log::garbage_collection(durable_decrees, prevent) + replica_stub::gc_slog
)

// SlogFile is one file of the shared log as mutation_log::open keeps it.
type SlogFile struct {
	Path        string
	Index       int32
	StartOffset int64
	Size        int64
	// Header are the header's max decrees per gpid: those of every older file.
	Header map[gpid.Gpid]int64
}

// EndOffset is log_file::end_offset.
func (f SlogFile) EndOffset() int64 { return f.StartOffset + f.Size }

// Condition is one loaded replica's GC condition, replica_log_info
// {max_decree, valid_start_offset} (rs24 L1755-1785, rs25 L1781-1811).
type Condition struct {
	Gpid gpid.Gpid
	// Durable is the app's last durable decree.
	Durable int64
	// HasPlog: the replica has a private log object (always, for a
	// replica the server loaded: replica::init_app_and_prepare_list opens
	// one, empty if need be); PlogMaxCommit its max_commit_on_disk.
	HasPlog       bool
	PlogMaxCommit int64
	// ValidStartOffset is .init-info's init_offset_in_shared_log.
	ValidStartOffset int64
}

// MaxDecree is the garbage max decree: min(last_durable_decree,
// plog max_commit_on_disk) with a plog (rs24 L1767, rs25 L1792-1793),
// last_durable_decree without (rs24 L1776, rs25 L1802).
func (c Condition) MaxDecree() int64 {
	if c.HasPlog {
		return min(c.Durable, c.PlogMaxCommit)
	}
	return c.Durable
}

func (c Condition) blocker(needs int64) Blocker {
	b := Blocker{Gpid: c.Gpid, NeedsDecree: needs, DurableDecree: c.Durable}
	if c.HasPlog {
		mc := c.PlogMaxCommit
		b.PlogMaxCommit = &mc
	}
	return b
}

// SlogInput is what one slog GC pass reads.
type SlogInput struct {
	Rule  Rule
	Files []SlogFile // ascending index
	// InMemory is _shared_log_info_map after the slog's open: every loaded
	// replica with the max decree of the slog mutations its replay
	// accepted (0 for none); it covers the newest file.
	InMemory map[gpid.Gpid]int64
	// Conditions of the loaded replicas (the map the server iterates).
	Conditions []Condition
	// CurrentIndex is the file being written, -1 when nothing was appended
	// since open (always for 2.4, which never appends; offline, always).
	CurrentIndex int32
	// FileCountLimit is log_shared_file_count_limit (rule 2.4).
	FileCountLimit int
	// FlushLimit is log_shared_gc_flush_replicas_limit (rule 2.5; 0 means
	// no limit).
	FlushLimit int
	// KeepNewest is waltool's offline guard for a server that writes the
	// slog (2.3): never delete every file.
	KeepNewest bool
}

// SlogDecision is one slog GC pass and the emergency checkpoints it
// triggers.
type SlogDecision struct {
	Decision
	// Remaining is the number of files left (reserved_log_count).
	Remaining int
	// Prevent are prevent_gc_replicas, sorted: under 2.5 every replica that
	// blocked a file of the walk; under 2.4 those blocking a file counted
	// beyond log_shared_file_count_limit.
	Prevent []gpid.Gpid
	// Checkpoint are the replicas the server gives an emergency checkpoint
	// after this pass (replica.trigger-checkpoint's own code path), and
	// CheckpointWhy says which rule.
	Checkpoint    []gpid.Gpid
	CheckpointWhy string
}

// DecideSlog is one pass of the shared-log GC under in.Rule.
//
// Both rules walk the files newest to oldest, carrying the max decrees
// that cover the file (the in-memory map for the newest, the header of the
// next file otherwise), and test every replica not yet kicked out (all of
// them: unlike the replay filter, there is no break at the first blocker):
// a replica is satisfied and kicked out when the file holds nothing of it
// (a CHECK on its valid_start_offset), when the file ends at or before its
// valid_start_offset, or when its max decree is covered by its condition.
// The first file every replica allows is deleted with every older file.
// Rule 2.4 never deletes a lone remaining file and protects the current
// file; rule 2.5 has neither guard.
func DecideSlog(in SlogInput) (d SlogDecision) {
	n := len(in.Files)
	d = SlogDecision{Decision: Decision{Files: make([]FileDecision, n)}, Remaining: n}
	for i := range d.Files {
		d.Files[i].Verdict = Keep
	}
	conds := append([]Condition(nil), in.Conditions...)
	sort.Slice(conds, func(i, j int) bool { return conds[i].Gpid.Less(conds[j].Gpid) })
	defer func() { d.checkpoints(in, conds) }()
	if n == 0 {
		return d // ml25 L1519: "slog file not found"
	}
	if in.Rule == Rule24 && n <= 1 { // ml24 L1433
		d.Files[0].Reason = "the lone remaining slog file: the ≤ 2.4 GC never deletes the last file (garbage_collection returns when files.size() <= 1)"
		return d
	}
	kicked := map[gpid.Gpid]bool{}
	prevent := map[gpid.Gpid]bool{}
	mark := -1
	for i, count := n-1, 1; i >= 0; i, count = i-1, count+1 {
		f := in.Files[i]
		fd := &d.Files[i]
		md := in.InMemory
		covers := "the slog's in-memory max decrees (newest file)"
		if i < n-1 {
			md = in.Files[i+1].Header
			covers = "the header of " + baseName(in.Files[i+1].Path)
		}
		if in.Rule == Rule24 && f.Index == in.CurrentIndex { // ml24 L1472
			fd.Reason = "the current file, being written"
			continue
		}
		var blockers []Blocker
		for _, c := range conds {
			if kicked[c.Gpid] {
				continue
			}
			m, found := md[c.Gpid]
			switch {
			case !found: // ml24 L1494-1511, ml25 L1440-1453
				if c.ValidStartOffset != 0 && c.ValidStartOffset < f.EndOffset() {
					d.Findings = append(d.Findings, finding.New(finding.Corrupt, f.Path,
						"%s holds no max decree of replica %s, whose init_offset_in_shared_log %d is neither 0 nor at or past this file's end %d: the slog GC CHECK-aborts the server (\"valid start offset must be 0 or greater than the end of this log file\")",
						covers, c.Gpid, c.ValidStartOffset, f.EndOffset()).For(c.Gpid))
					for j := range d.Files {
						d.Files[j] = FileDecision{Verdict: Keep, Reason: "not reached: the GC pass aborts the server at " + f.Path}
					}
					return d
				}
				kicked[c.Gpid] = true
			case f.EndOffset() <= c.ValidStartOffset: // ml24 L1513, ml25 L1454
				kicked[c.Gpid] = true
			case m <= c.MaxDecree(): // ml24 L1528, ml25 L1466
				kicked[c.Gpid] = true
			default: // blocks this file
				blockers = append(blockers, c.blocker(m))
			}
		}
		if len(blockers) == 0 { // ml24 L1584, ml25 L1568
			mark = i
			fd.Reason = fmt.Sprintf("every loaded replica's decrees in it are covered (by %s) or before its init_offset_in_shared_log: it and every older file can go", covers)
			break
		}
		fd.BlockedBy = blockers
		fd.Reason = fmt.Sprintf("%d replica(s) hold decrees in it above their GC condition min(durable, plog max_commit_on_disk) (by %s)", len(blockers), covers)
		// ml24 L1578 (only beyond log_shared_file_count_limit), ml25 L1565 (always).
		if in.Rule == Rule25 || count > in.FileCountLimit {
			for _, b := range blockers {
				prevent[b.Gpid] = true
			}
		}
	}
	for g := range prevent {
		d.Prevent = append(d.Prevent, g)
	}
	sort.Slice(d.Prevent, func(i, j int) bool { return d.Prevent[i].Less(d.Prevent[j]) })
	if mark < 0 {
		return d
	}
	stop := in.Files[mark].Path
	if mark == n-1 && in.KeepNewest {
		d.Files[n-1] = FileDecision{Verdict: Keep, Reason: "the server (nothing appended since it opened the slog) would delete it too, " +
			"but a 2.3 server writes the slog, and one emptied offline restarts at log.1.0, offset 0, below the replicas' init_offset_in_shared_log: waltool keeps the newest file. " + d.Files[n-1].Reason}
		mark--
	}
	// ml24 L1637, ml25 L1590 remove_obsolete_slog_files: ascending order.
	for i := 0; i <= mark; i++ {
		d.Files[i].Verdict = Delete
		if d.Files[i].Reason == "" {
			d.Files[i].Reason = fmt.Sprintf("older than %s, which can go: deleted with it, oldest first", baseName(stop))
		}
	}
	d.Remaining = n - mark - 1
	return d
}

// checkpoints are the emergency checkpoints the server triggers after the
// pass: 2.4 (rs24 L1791-1830): more than 2×limit files left, every replica;
// more than limit, the prevent_gc_replicas. 2.5 (rs25 flush_replicas_for_slog_gc,
// L1893-1944): the prevent_gc_replicas in gpid order, at most
// log_shared_gc_flush_replicas_limit of them in a first round (0: all; the
// limit then adapts, down to 2 when a round flushed nothing).
func (d *SlogDecision) checkpoints(in SlogInput, conds []Condition) {
	if len(d.Findings) > 0 {
		return
	}
	switch in.Rule {
	case Rule24:
		if d.Remaining > 2*in.FileCountLimit {
			for _, c := range conds {
				d.Checkpoint = append(d.Checkpoint, c.Gpid)
			}
			d.CheckpointWhy = fmt.Sprintf("%d files remain, more than 2 × log_shared_file_count_limit (%d): every replica gets an emergency checkpoint", d.Remaining, in.FileCountLimit)
		} else if d.Remaining > in.FileCountLimit {
			d.Checkpoint = d.Prevent
			d.CheckpointWhy = fmt.Sprintf("%d files remain, more than log_shared_file_count_limit (%d): the replicas blocking files beyond the limit get an emergency checkpoint", d.Remaining, in.FileCountLimit)
		}
	case Rule25:
		d.Checkpoint = d.Prevent
		if in.FlushLimit > 0 && len(d.Checkpoint) > in.FlushLimit {
			d.Checkpoint = d.Checkpoint[:in.FlushLimit]
			d.CheckpointWhy = fmt.Sprintf("every blocking replica is flushed, at most log_shared_gc_flush_replicas_limit (%d) per 30 s GC round, in gpid order (the limit adapts: down to 2 when a round flushed nothing, doubling when it was used up)", in.FlushLimit)
		} else if len(d.Checkpoint) > 0 {
			d.CheckpointWhy = "every blocking replica gets an emergency checkpoint (memtable flush) in this GC round"
		}
	}
}

func baseName(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' {
			return p[i+1:]
		}
	}
	return p
}
