package gc

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/internal/iec"
	"github.com/waltool/waltool/logrules"
	"github.com/waltool/waltool/pegasus"
	"github.com/waltool/waltool/replay"
	"github.com/waltool/waltool/vfs"
)

// Logs selects the logs a run looks at.
type Logs string

const (
	LogSlog Logs = "slog"
	LogPlog Logs = "plog"
	LogAll  Logs = "all"
)

// MiB is the unit of log_private_reserve_max_size_mb.
const MiB = 1 << 20

// Limits are the server's GC settings ([replication] keys).
type Limits struct {
	// LogPrivateReserveMaxSizeMB and LogPrivateReserveMaxTimeSeconds keep
	// recent useless plog files while both allow it (0 disables).
	LogPrivateReserveMaxSizeMB      int64 `json:"log_private_reserve_max_size_mb"`
	LogPrivateReserveMaxTimeSeconds int64 `json:"log_private_reserve_max_time_seconds"`
	// LogSharedFileCountLimit drives 2.4's emergency checkpoints.
	LogSharedFileCountLimit int `json:"log_shared_file_count_limit"`
	// LogSharedGCFlushReplicasLimit rate-limits 2.5's flushes (0: none).
	LogSharedGCFlushReplicasLimit int `json:"log_shared_gc_flush_replicas_limit"`
}

// DefaultLimits are a server version's code defaults (what it uses when
// its config.ini does not set the key): log_private_reserve_max_size_mb and
// log_private_reserve_max_time_seconds are 0 and 0 at rdsn v2.3.0 and
// Pegasus v2.4.0/v2.5.0 (replication_common.cpp replication_options(),
// v2.5.0 replica_chkpt.cpp DSN_DEFINE_int32), 1000 and 36000 at HEAD (2.6,
// replica_chkpt.cpp, #1877); the config.ini Pegasus ships sets 1000 and
// 36000 in every version. log_shared_file_count_limit is 100 (v2.4.0
// replication_common.cpp); log_shared_gc_flush_replicas_limit 64 (v2.5.0
// replica_stub.cpp DSN_DEFINE_uint64, L170-177).
func DefaultLimits(v pegasus.Version) Limits {
	l := Limits{LogSharedFileCountLimit: 100, LogSharedGCFlushReplicasLimit: 64}
	if v == pegasus.V26 {
		l.LogPrivateReserveMaxSizeMB, l.LogPrivateReserveMaxTimeSeconds = 1000, 36000
	}
	return l
}

// ShippedLimits are the values of the config.ini Pegasus ships
// (src/server/config.ini, v2.4.0 L270-275, v2.5.0 L276-281).
var ShippedLimits = Limits{LogPrivateReserveMaxSizeMB: 1000, LogPrivateReserveMaxTimeSeconds: 36000, LogSharedFileCountLimit: 100, LogSharedGCFlushReplicasLimit: 64}

// RuleFor is the slog rule of a server version: 2.3 and 2.4 run the ≤ 2.4
// rule, 2.5 its own; 2.6 has no slog ("" ).
func RuleFor(v pegasus.Version) Rule {
	switch v {
	case pegasus.V23, pegasus.V24:
		return Rule24
	case pegasus.V25:
		return Rule25
	}
	return ""
}

// Options of a dry run.
type Options struct {
	// Version is the server's version (default 2.4).
	Version pegasus.Version
	// Rule is the slog rule; "" follows Version.
	Rule Rule
	Logs Logs // default LogSlog
	// Now pins the clock for the reserve-time limit; zero means time.Now().
	Now    time.Time
	Limits Limits
	// DurableDecrees override the checkpoint dirs' (as replay takes them).
	DurableDecrees map[gpid.Gpid]int64
	// DupConfirmed are duplications' confirmed decrees, which are not on
	// disk (the meta server keeps them): per gpid, min over its dups.
	DupConfirmed map[gpid.Gpid]int64
	// Replay is a replay of the root under Version with DurableDecrees,
	// when the caller already has one.
	Replay *replay.Result
	// ServerAddress is the replica server's ip:port, as the flush command
	// names it; "" prints AddressPlaceholder (it is not on disk).
	ServerAddress string
}

// File is one log file and its verdict.
type File struct {
	Path      string     `json:"path"`
	Log       string     `json:"log"` // "slog" or "plog"
	Gpid      *gpid.Gpid `json:"gpid,omitempty"`
	Index     int32      `json:"index"`
	Size      int64      `json:"size"`
	Verdict   Verdict    `json:"verdict"`
	Reason    string     `json:"reason"`
	BlockedBy []Blocker  `json:"blocked_by"`
}

// LogDir is one log directory's files and where it lives.
type LogDir struct {
	Path string     `json:"path"`
	Log  string     `json:"log"`
	Gpid *gpid.Gpid `json:"gpid,omitempty"`
	// Disk is the data dir's tag (its path when untagged), or "slog".
	Disk   string `json:"disk"`
	Device uint64 `json:"device,omitempty"`
	Files  []File `json:"-"`
}

// ReplicaBlocker is a replica holding files back, and what releases it. It
// is a finding (class warning, with its gpid and log dir).
type ReplicaBlocker struct {
	finding.Finding
	Log           string `json:"log"`
	NeedsDecree   int64  `json:"needs_decree"`
	DurableDecree int64  `json:"durable_decree"`
	PlogMaxCommit *int64 `json:"plog_max_commit,omitempty"`
	Confirmed     *int64 `json:"dup_confirmed_decree,omitempty"`
	Files         int    `json:"files"`
	Bytes         int64  `json:"bytes"`
	// Release says what lets the files go; Command is the server's own
	// command to flush the replica.
	Release []string `json:"release"`
	Command string   `json:"command"`
	// EmergencyCheckpoint: the server triggers one itself in its next GC
	// round (2.5: every blocker, rate-limited; 2.4: beyond the file limit).
	EmergencyCheckpoint bool `json:"emergency_checkpoint"`
}

// DiskTotal is what the run reclaims on one disk.
type DiskTotal struct {
	Disk   string   `json:"disk"`
	Device uint64   `json:"device,omitempty"`
	Dirs   []string `json:"dirs"`
	Files  int      `json:"files"`
	Bytes  int64    `json:"bytes"`
}

// Report is a dry run's answer.
type Report struct {
	Rule          Rule             `json:"rule"`
	ServerVersion pegasus.Version  `json:"server_version"`
	Logs          Logs             `json:"log"`
	Now           int64            `json:"now"`
	Limits        Limits           `json:"limits"`
	Files         []File           `json:"files"`
	Blockers      []ReplicaBlocker `json:"blockers"`
	// Checkpoints are the replicas the server flushes by itself after its
	// next slog GC pass, and why.
	Checkpoints    []gpid.Gpid `json:"emergency_checkpoints"`
	CheckpointsWhy string      `json:"emergency_checkpoints_why,omitempty"`
	// SlogEmpties: the rule's pass leaves no slog file (what must be true
	// before an upgrade to 2.6).
	SlogEmpties      bool              `json:"slog_empties"`
	ReclaimableFiles int               `json:"reclaimable_files"`
	ReclaimableBytes int64             `json:"reclaimable_bytes"`
	Disks            []DiskTotal       `json:"disks"`
	Notes            []string          `json:"notes"`
	Findings         []finding.Finding `json:"findings"`
	ServerDirs       *dataroot.Sources `json:"server_dirs,omitempty"`

	dirs []*LogDir
}

// Blocked reports whether a file is kept because a replica holds it back
// (or the server aborts in GC, or a 2.6 server strands slog files): what
// --check fails on. Files the rule keeps by design (reserved, the lone
// last 2.4 slog file) are not blocked.
func (r *Report) Blocked() bool {
	for _, f := range r.Files {
		if f.Verdict == Keep && len(f.BlockedBy) > 0 {
			return true
		}
	}
	for _, f := range r.Findings {
		if f.Class.Fatal() {
			return true
		}
	}
	return r.ServerVersion == pegasus.V26 && r.Logs != LogPlog && r.slogFiles() > 0
}

func (r *Report) slogFiles() int {
	n := 0
	for _, f := range r.Files {
		if f.Log == "slog" {
			n++
		}
	}
	return n
}

// PlanFile is one file to delete.
type PlanFile struct {
	Path  string `json:"path"`
	Index int32  `json:"index"`
	Size  int64  `json:"size"`
}

// DirPlan is what an executor deletes in one log dir: Files in ascending
// index order, each only after the one before it is gone (stop at the
// first failure: what is left then has no hole).
type DirPlan struct {
	Dir   string     `json:"path"`
	Log   string     `json:"log"`
	Gpid  *gpid.Gpid `json:"gpid,omitempty"`
	Disk  string     `json:"disk"`
	Files []PlanFile `json:"files"`
}

// Plan lists, per log dir (the slog first, then plogs by gpid), the files
// the run deletes, oldest first. Dirs with nothing to delete are left out.
func (r *Report) Plan() []DirPlan {
	var out []DirPlan
	for _, d := range r.dirs {
		p := DirPlan{Dir: d.Path, Log: d.Log, Gpid: d.Gpid, Disk: d.Disk, Files: []PlanFile{}}
		for _, f := range d.Files {
			if f.Verdict == Delete {
				p.Files = append(p.Files, PlanFile{Path: f.Path, Index: f.Index, Size: f.Size})
			}
		}
		if len(p.Files) > 0 {
			out = append(out, p)
		}
	}
	return out
}

// AddressPlaceholder stands for the replica server's address in the flush
// command when the caller does not know it.
const AddressPlaceholder = "<replica_server_ip:port>"

// CheckpointCommand is the Pegasus shell command that makes the replicas gs
// of the replica server at addr checkpoint (flush their memtables) now, in
// one call. The shell's `remote_command [-t all|meta-server|replica-server]
// [-l ip:port,...] <command> [args]` (src/shell/main.cpp, handler
// remote_command in src/shell/commands/node_management.cpp, v2.3.0 to
// v2.5.0) takes one server with -l, which it parses with
// rpc_address::from_string_ipv4: an IPv4 address or localhost, and a port.
// The server's "replica.trigger-checkpoint [id1,id2,...]" (v2.5.0
// src/replica/replica_stub.cpp, v2.4.0 src/rdsn/src/replica/
// replica_stub.cpp: replica_stub::register_ctrl_command) runs
// exec_command_on_replica, which splits each argument on ',' and takes
// app_id.partition_index ids; with no id it checkpoints every replica, so
// no command is made for an empty gs.
func CheckpointCommand(addr string, gs []gpid.Gpid) string {
	if len(gs) == 0 {
		return ""
	}
	if addr == "" {
		addr = AddressPlaceholder
	}
	ids := make([]string, len(gs))
	for i, g := range gs {
		ids[i] = g.String()
	}
	return "remote_command -l " + addr + " replica.trigger-checkpoint " + strings.Join(ids, ",")
}

// Run is a dry run of the GC of a data root: it reads only, through
// root.FS.
func Run(root *dataroot.Root, opts Options) (*Report, error) {
	if opts.Version == "" {
		opts.Version = pegasus.V24
	}
	if opts.Logs == "" {
		opts.Logs = LogSlog
	}
	if opts.Rule == "" {
		opts.Rule = RuleFor(opts.Version)
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	rep := &Report{Rule: opts.Rule, ServerVersion: opts.Version, Logs: opts.Logs, Now: now.Unix(), Limits: opts.Limits,
		Files: []File{}, Blockers: []ReplicaBlocker{}, Checkpoints: []gpid.Gpid{}, Disks: []DiskTotal{}, Notes: []string{}, Findings: []finding.Finding{}}
	if root.Path != "" {
		src := root.Sources
		rep.ServerDirs = &src
	}
	res := opts.Replay
	if res == nil {
		var err error
		if res, err = replay.Run(root, replay.Options{Version: opts.Version, DurableDecrees: opts.DurableDecrees}); err != nil {
			return nil, err
		}
	}
	rep.findingsFromReplay(root, res)
	// Replicas the server loads, with their replay state; results are in
	// root.Replicas order (replay.Run).
	type loaded struct {
		dr *dataroot.Replica
		rr *replay.ReplicaResult
	}
	var reps []loaded
	for i, rr := range res.Replicas {
		if rr.Error == "" && i < len(root.Replicas) {
			reps = append(reps, loaded{root.Replicas[i], rr})
		}
	}
	if opts.Logs != LogPlog {
		if opts.Rule == "" {
			rep.Notes = append(rep.Notes, "Pegasus 2.6 has no slog and no slog GC: it ignores slog files and never deletes them (what only they hold is lost: waltool replay --server-version 2.6); empty the slog under 2.5 first (docs/gc.md)")
		}
		conds := make([]Condition, 0, len(reps))
		inMem := map[gpid.Gpid]int64{}
		for _, l := range reps {
			// Every loaded replica has a plog object (2.4/2.5
			// replica::init_app_and_prepare_list opens one, empty if the
			// dir is missing, max_commit_on_disk 0 then).
			conds = append(conds, Condition{Gpid: l.dr.Gpid, Durable: l.rr.DurableDecree, HasPlog: true, PlogMaxCommit: l.rr.Plog.MaxCommit, ValidStartOffset: l.dr.InitInfo.InitOffsetInSharedLog})
			// mutation_log::set_valid_start_offset_on_open registers the
			// gpid with max decree 0; the slog replay raises it for each
			// mutation the replica accepted (update_max_decree_no_lock).
			inMem[l.dr.Gpid] = l.rr.Slog.MaxDecree
		}
		slogFailed := res.Slog != nil && res.Slog.Error != ""
		if err := rep.slog(root, opts, conds, inMem, slogFailed); err != nil {
			return nil, err
		}
	}
	if opts.Logs != LogSlog {
		for _, l := range reps {
			if err := rep.plog(root, opts, l.dr, l.rr, now); err != nil {
				return nil, err
			}
		}
		rep.Notes = append(rep.Notes, "plog GC runs in the server only for a replica serving (not PS_INACTIVE or PS_ERROR, replica_chkpt.cpp): right after a start, until the meta server assigns it")
	}
	rep.totals()
	rep.flushCommand(opts.ServerAddress)
	return rep, nil
}

// findingsFromReplay keeps what bears on GC: the server aborting or
// refusing the slog at start (then it never runs GC), input that is
// missing or unreadable, replicas it does not load, and a slog that is not
// the replicas' server's (dataroot.Root.NotOneServer: the rule would then
// delete another server's files; gc --apply refuses it).
func (rep *Report) findingsFromReplay(root *dataroot.Root, res *replay.Result) {
	for _, f := range res.Findings {
		if f.Class == finding.Error || f.Class == finding.Missing || dataroot.IsNotOneServer(f) {
			rep.Findings = append(rep.Findings, f)
		}
	}
	if res.Abort != "" {
		rep.Findings = append(rep.Findings, finding.New(finding.Corrupt, root.Path, "the server aborts while replaying at start, so it never runs GC: %s", res.Abort).Because(replay.ErrAbort))
	}
	if res.Slog != nil && res.Slog.Error != "" {
		rep.Findings = append(rep.Findings, finding.New(finding.Corrupt, res.Slog.Path, "the server fails to open the slog at start (%s): it moves every replica to .err and recreates the slog dir empty; no GC rule applies", res.Slog.Error))
	}
	for i, rr := range res.Replicas {
		if rr.Error != "" && i < len(root.Replicas) {
			rep.Findings = append(rep.Findings, finding.New(finding.Warning, rr.Path,
				"not loaded by the server (%s): its plog is not collected, and its slog mutations hold no slog file back (on_gc iterates the loaded replicas)", rr.Error).For(root.Replicas[i].Gpid))
		}
	}
}

func (rep *Report) slog(root *dataroot.Root, opts Options, conds []Condition, inMem map[gpid.Gpid]int64, failed bool) error {
	if !root.SlogExists {
		return nil
	}
	dir, err := format.OpenDir(root.FS, root.SlogDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		rep.Findings = append(rep.Findings, finding.From(err, root.SlogDir))
		return nil
	}
	log, err := logrules.Open(root.FS, dir)
	if err != nil {
		rep.Findings = append(rep.Findings, finding.From(err, root.SlogDir))
		return nil
	}
	ld := &LogDir{Path: root.SlogDir, Log: "slog", Disk: "slog", Device: device(root.FS, root.SlogDir)}
	files := make([]SlogFile, len(log.Files))
	for i, f := range log.Files {
		h := map[gpid.Gpid]int64{}
		for _, e := range f.Header.Entries {
			if _, dup := h[e.Gpid]; !dup { // the first entry, as a map lookup of a duplicate would find one
				h[e.Gpid] = e.MaxDecree
			}
		}
		files[i] = SlogFile{Path: f.Path, Index: f.Index, StartOffset: f.StartOffset, Size: f.Size, Header: h}
	}
	skipped(ld, log)
	if opts.Rule == "" || failed {
		why := "Pegasus 2.6 ignores the slog and never collects it"
		if failed {
			why = "the server fails to open the slog at start (see the finding): no GC rule applies"
		}
		for _, f := range files {
			ld.Files = append(ld.Files, File{Path: f.Path, Log: "slog", Index: f.Index, Size: f.Size, Verdict: Keep, BlockedBy: []Blocker{}, Reason: why})
		}
		rep.addDir(ld)
		return nil
	}
	d := DecideSlog(SlogInput{Rule: opts.Rule, Files: files, InMemory: inMem, Conditions: conds, CurrentIndex: -1,
		FileCountLimit: opts.Limits.LogSharedFileCountLimit, FlushLimit: opts.Limits.LogSharedGCFlushReplicasLimit,
		KeepNewest: opts.Version == pegasus.V23})
	for i, f := range files {
		fd := d.Files[i]
		ld.Files = append(ld.Files, File{Path: f.Path, Log: "slog", Index: f.Index, Size: f.Size, Verdict: fd.Verdict, Reason: fd.Reason, BlockedBy: nonNil(fd.BlockedBy)})
	}
	rep.Findings = append(rep.Findings, d.Findings...)
	rep.Checkpoints = append(rep.Checkpoints, d.Checkpoint...)
	rep.CheckpointsWhy = d.CheckpointWhy
	rep.SlogEmpties = d.Remaining == 0 && len(d.Findings) == 0
	if opts.Rule == Rule24 && d.Remaining == 1 && len(files) > 0 && d.Files[len(files)-1].Verdict == Keep && len(d.Files[len(files)-1].BlockedBy) == 0 {
		rep.Notes = append(rep.Notes, "under the ≤ 2.4 rule the last slog file is never deleted: only a 2.5 server empties the slog (waltool gc --rule 2.5)")
	}
	rep.addDir(ld)
	return nil
}

func (rep *Report) plog(root *dataroot.Root, opts Options, dr *dataroot.Replica, rr *replay.ReplicaResult, now time.Time) error {
	g := dr.Gpid
	dir, err := format.OpenDir(root.FS, dr.PlogDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		rep.Findings = append(rep.Findings, finding.From(err, dr.PlogDir).For(g))
		return nil
	}
	log, err := logrules.Open(root.FS, dir)
	if err != nil {
		rep.Findings = append(rep.Findings, finding.From(err, dr.PlogDir).For(g))
		return nil
	}
	disk := dr.DataDir.Tag
	if disk == "" {
		disk = dr.DataDir.Path
	}
	gg := g
	ld := &LogDir{Path: dr.PlogDir, Log: "plog", Gpid: &gg, Disk: disk, Device: device(root.FS, dr.PlogDir)}
	skipped(ld, log)
	in := PlogInput{Gpid: g, MaxDecree: rr.Plog.MaxDecree, CurrentIndex: -1, Cleanable: rr.DurableDecree, Durable: rr.DurableDecree,
		ValidStartOffset: dr.InitInfo.InitOffsetInPrivateLog,
		ReserveMaxSize:   opts.Limits.LogPrivateReserveMaxSizeMB * MiB, ReserveMaxTime: opts.Limits.LogPrivateReserveMaxTimeSeconds,
		Now: now.Unix(), KeepNewest: true}
	for _, f := range log.Files {
		e, ok := f.Header.Lookup(g)
		pf := PlogFile{Path: f.Path, Index: f.Index, StartOffset: f.StartOffset, Size: f.Size, HeaderMaxDecree: e.MaxDecree, HeaderHasGpid: ok}
		if st, err := root.FS.Stat(f.Path); err == nil {
			pf.Mtime, pf.MtimeOK = st.ModTime().Unix(), true
		}
		in.Files = append(in.Files, pf)
	}
	// replica::on_checkpoint_timer (chkpt25 L124-170): duplication.
	dupMaster := dr.AppInfo != nil && dr.AppInfo.Duplicating != nil && *dr.AppInfo.Duplicating
	mc, confirmed := opts.DupConfirmed[g]
	var d Decision
	switch {
	case confirmed && mc >= 0: // chkpt25 L131-141
		in.ValidStartOffset = 0
		in.Cleanable = min(in.Cleanable, mc)
		in.Confirmed = &mc
		d = DecidePlog(in)
	case dupMaster: // chkpt25 L148-154
		d = Decision{Files: make([]FileDecision, len(in.Files))}
		for i := range d.Files {
			d.Files[i] = FileDecision{Verdict: Keep, Reason: "the app duplicates (.app-info duplicating) and its confirmed decree is not on disk (the meta server keeps it): the server skips plog GC until it knows it; give --dup-confirmed " + g.String() + "=DECREE"}
		}
	default:
		d = DecidePlog(in)
	}
	for i, f := range in.Files {
		fd := d.Files[i]
		ld.Files = append(ld.Files, File{Path: f.Path, Log: "plog", Gpid: &gg, Index: f.Index, Size: f.Size, Verdict: fd.Verdict, Reason: fd.Reason, BlockedBy: nonNil(fd.BlockedBy)})
	}
	rep.Findings = append(rep.Findings, d.Findings...)
	rep.addDir(ld)
	return nil
}

// skipped lists the files mutation_log::open skips (it renames them
// .removed): never GC's to delete.
func skipped(ld *LogDir, log *logrules.Log) {
	for _, s := range log.Skipped {
		ld.Files = append(ld.Files, File{Path: s.File.Path, Log: ld.Log, Gpid: ld.Gpid, Index: s.File.Index, Size: s.File.Size, Verdict: Keep, BlockedBy: []Blocker{},
			Reason: "skipped at open (empty or incomplete first block: Pegasus renames it .removed); not in the log GC walks"})
	}
}

func (rep *Report) addDir(ld *LogDir) {
	sort.SliceStable(ld.Files, func(i, j int) bool { return ld.Files[i].Index < ld.Files[j].Index })
	rep.dirs = append(rep.dirs, ld)
	rep.Files = append(rep.Files, ld.Files...)
}

func nonNil(b []Blocker) []Blocker {
	if b == nil {
		return []Blocker{}
	}
	return b
}

func device(fsys vfs.FS, p string) uint64 {
	st, err := fsys.Stat(p)
	if err != nil {
		return 0
	}
	id, _ := vfs.DeviceID(st)
	return id
}

// totals sums what can go per disk, and the blockers per replica and log.
func (rep *Report) totals() {
	disks := map[string]*DiskTotal{}
	var order []string
	type key struct {
		g   gpid.Gpid
		log string
	}
	blockers := map[key]*ReplicaBlocker{}
	ckpt := map[gpid.Gpid]bool{}
	for _, g := range rep.Checkpoints {
		ckpt[g] = true
	}
	for _, d := range rep.dirs {
		k := d.Disk
		if d.Device != 0 {
			k = fmt.Sprint(d.Device)
		}
		t := disks[k]
		if t == nil {
			t = &DiskTotal{Disk: d.Disk, Device: d.Device, Dirs: []string{}}
			disks[k] = t
			order = append(order, k)
		} else if t.Disk != d.Disk && !containsWord(t.Disk, d.Disk) {
			t.Disk += "," + d.Disk
		}
		t.Dirs = append(t.Dirs, d.Path)
		for _, f := range d.Files {
			if f.Verdict == Delete {
				t.Files++
				t.Bytes += f.Size
				rep.ReclaimableFiles++
				rep.ReclaimableBytes += f.Size
			}
			for _, b := range f.BlockedBy {
				rb := blockers[key{b.Gpid, d.Log}]
				if rb == nil {
					g := b.Gpid
					rb = &ReplicaBlocker{Finding: finding.New(finding.Warning, d.Path, "").For(g), Log: d.Log, DurableDecree: b.DurableDecree,
						PlogMaxCommit: b.PlogMaxCommit, Confirmed: b.ConfirmedDecree, EmergencyCheckpoint: d.Log == "slog" && ckpt[g]}
					blockers[key{b.Gpid, d.Log}] = rb
				}
				rb.Files++
				rb.Bytes += f.Size
				rb.NeedsDecree = max(rb.NeedsDecree, b.NeedsDecree)
			}
		}
	}
	for _, k := range order {
		rep.Disks = append(rep.Disks, *disks[k])
	}
	for _, rb := range blockers {
		rb.Release = release(rb)
		files := "files"
		if rb.Files == 1 {
			files = "file"
		}
		rb.Message = fmt.Sprintf("holds back %d %s %s, %s: its %s reaches decree %d; it needs %d", rb.Files, rb.Log, files, iec.Bytes(rb.Bytes), condName(rb), condValue(rb), rb.NeedsDecree)
		rep.Blockers = append(rep.Blockers, *rb)
	}
	sort.Slice(rep.Blockers, func(i, j int) bool {
		a, b := rep.Blockers[i], rep.Blockers[j]
		if *a.Gpid != *b.Gpid {
			return a.Gpid.Less(*b.Gpid)
		}
		return a.Log > b.Log // slog first
	})
}

func containsWord(list, w string) bool {
	for _, x := range splitComma(list) {
		if x == w {
			return true
		}
	}
	return false
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

func condName(rb *ReplicaBlocker) string {
	switch {
	case rb.Log == "slog":
		return "GC condition min(durable decree, plog max_commit_on_disk)"
	case rb.Confirmed != nil:
		return "cleanable decree min(durable decree, duplication confirmed decree)"
	}
	return "cleanable decree (the durable decree)"
}

func condValue(rb *ReplicaBlocker) int64 {
	v := rb.DurableDecree
	if rb.PlogMaxCommit != nil {
		v = min(v, *rb.PlogMaxCommit)
	}
	if rb.Confirmed != nil {
		v = min(v, *rb.Confirmed)
	}
	return v
}

// flushCommand gives every blocker the one command that flushes every
// blocked replica of the server at addr (a replica the plog or a
// duplication holds back is flushed too: harmless, and its release says
// what else it needs).
func (rep *Report) flushCommand(addr string) {
	var gs []gpid.Gpid
	for _, b := range rep.Blockers {
		if !slices.Contains(gs, *b.Gpid) {
			gs = append(gs, *b.Gpid)
		}
	}
	cmd := CheckpointCommand(addr, gs)
	for i := range rep.Blockers {
		rep.Blockers[i].Command = cmd
	}
}

// FlushCommand is the one command that flushes every blocked replica, ""
// when none is blocked.
func (rep *Report) FlushCommand() string {
	if len(rep.Blockers) == 0 {
		return ""
	}
	return rep.Blockers[0].Command
}

// release says what lets a blocker's files go.
func release(rb *ReplicaBlocker) []string {
	out := []string{}
	if rb.DurableDecree < rb.NeedsDecree {
		out = append(out, fmt.Sprintf("the durable decree must reach %d (it is %d): flush the replica on the running server (the flush command below)", rb.NeedsDecree, rb.DurableDecree))
	}
	if rb.PlogMaxCommit != nil && *rb.PlogMaxCommit < rb.NeedsDecree {
		out = append(out, fmt.Sprintf("the plog's max_commit_on_disk must reach %d (it is %d): the plog lacks slog decrees; a ≤ 2.5 server appends them to the plog when it replays the slog at start (replica::replay_mutation), and later writes carry it further; offline, nothing does", rb.NeedsDecree, *rb.PlogMaxCommit))
	}
	if rb.Confirmed != nil && *rb.Confirmed < rb.NeedsDecree {
		out = append(out, fmt.Sprintf("the duplication must confirm decree %d (it confirmed %d)", rb.NeedsDecree, *rb.Confirmed))
	}
	return out
}
