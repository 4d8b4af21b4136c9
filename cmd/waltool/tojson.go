package main

import (
	"cmp"
	"encoding/json"
	"path/filepath"
	"time"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/decrees"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gc"
	"github.com/waltool/waltool/journal"
	"github.com/waltool/waltool/migrate"
	"github.com/waltool/waltool/reclaim"
	"github.com/waltool/waltool/replay"
	"github.com/waltool/waltool/schema"
	"github.com/waltool/waltool/verify"
)

// The library's results in the shapes of the machine contract (package
// schema, docs/json.md). The libraries keep their own types (a migration's
// plan is also its journal's record); these functions are the one place
// that decides what a script sees.

func serverDirsDoc(s *dataroot.Sources) *schema.ServerDirs {
	if s == nil {
		return nil
	}
	d := &schema.ServerDirs{Root: dirSourceDoc(s.Root), SlogDir: dirSourceDoc(s.SlogDir), DataDirs: []schema.DirSource{}, BlackListed: []schema.DirSource{}, NoSlog: s.NoSlog}
	for _, x := range s.DataDirs {
		d.DataDirs = append(d.DataDirs, dirSourceDoc(x))
	}
	for _, x := range s.BlackListed {
		d.BlackListed = append(d.BlackListed, dirSourceDoc(x))
	}
	return d
}

func dirSourceDoc(s dataroot.DirSource) schema.DirSource {
	return schema.DirSource{Path: s.Path, Tag: s.Tag, Source: s.From, Detail: s.Detail, State: s.State}
}

func rangesDoc(rs []decrees.Range) []schema.Range {
	out := make([]schema.Range, 0, len(rs))
	for _, r := range rs {
		out = append(out, schema.Range{First: r.First, Last: r.Last})
	}
	return out
}

// orEmpty is s, [] when nil.
func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func timeDoc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func verifyDoc(targets []schema.Target, r *verify.Report) *schema.Verify {
	d := &schema.Verify{Targets: targets, Dirs: []schema.LogDir{}, Findings: schema.Findings(r.All())}
	for _, dir := range r.Dirs {
		ld := schema.LogDir{Path: dir.Path, Log: string(dir.Kind), OK: dir.OK, EndOffset: dir.EndOffset, Blocks: int64(dir.Blocks),
			Mutations: int64(dir.Mutations), Bytes: dir.Bytes, Files: []schema.LogFile{}, Gpids: []schema.GpidLog{}, IgnoredPaths: []string{}}
		if dir.Owner != nil {
			ld.Gpid = dir.Owner.String()
		}
		for _, f := range dir.Files {
			ld.Files = append(ld.Files, logFileDoc(f))
		}
		for _, g := range verify.SortedGpids(dir.Gpids) {
			ld.Gpids = append(ld.Gpids, schema.GpidLog{Gpid: g.Gpid.String(), MinDecree: g.MinDecree, MaxDecree: g.MaxDecree,
				Mutations: int64(g.Mutations), LastIntactDecree: g.LastIntactDecree})
		}
		for _, name := range dir.Ignored {
			ld.IgnoredPaths = append(ld.IgnoredPaths, filepath.Join(dir.Path, name))
		}
		d.Dirs = append(d.Dirs, ld)
	}
	return d
}

func logFileDoc(f *verify.FileReport) schema.LogFile {
	lf := schema.LogFile{Path: f.Path, Name: f.Name, Index: int64(f.Index), StartOffset: f.StartOffset, Status: f.Status.String(),
		Blocks: int64(f.Blocks), Mutations: int64(f.Mutations), Bytes: f.Bytes, ValidBytes: f.ValidBytes, Header: fileHeaderDoc(f.Header)}
	if f.ErrorOffset >= 0 {
		dmg := schema.FindingOf(finding.New(f.Status, f.Path, "%s", f.Error).At(f.ErrorOffset))
		lf.Damage = &dmg
	}
	return lf
}

func fileHeaderDoc(h *format.FileHeader) *schema.FileHeader {
	if h == nil {
		return nil
	}
	d := &schema.FileHeader{Version: int64(h.Version), StartOffset: h.StartOffset, Entries: []schema.HeaderEntry{}}
	for _, e := range h.Entries {
		d.Entries = append(d.Entries, schema.HeaderEntry{Gpid: e.Gpid.String(), MaxDecree: e.MaxDecree, ValidStartOffset: e.ValidStartOffset})
	}
	return d
}

func replayDoc(res *replay.Result) *schema.Replay {
	d := &schema.Replay{ServerVersion: string(res.ServerVersion), ServerDirs: serverDirsDoc(res.ServerDirs), NoSlogRead: res.NoSlogRead,
		Replicas: []schema.ReplicaReplay{}, Orphans: []schema.Orphan{}, MutationsRead: res.MutationsRead, Abort: res.Abort,
		AllInactive: res.AllInactive, Findings: schema.Findings(res.Findings)}
	if s := res.Slog; s != nil {
		d.Slog = &schema.SlogReplay{Path: s.Path, FileCount: int64(s.Files), FirstFile: s.FirstFile, Mutations: int64(s.Mutations),
			EndOffset: s.EndOffset, Read: s.Read, Failure: s.Error}
	}
	for _, r := range res.Replicas {
		rr := schema.ReplicaReplay{Gpid: r.Gpid.String(), Path: r.Path,
			Plog: schema.PlogReplay{MinDecree: r.Plog.MinDecree, MaxDecree: r.Plog.MaxDecree, MaxCommitOnDisk: r.Plog.MaxCommit,
				Mutations: int64(r.Plog.Mutations), FirstFile: r.Plog.FirstFile, EndOffset: r.Plog.EndOffset, LastIndex: int64(r.Plog.LastIndex),
				RemovedPaths: []string{}},
			Slog:             schema.SlogForGpid{Mutations: int64(r.Slog.Mutations), MinDecree: r.Slog.MinDecree, MaxDecree: r.Slog.MaxDecree},
			AppendedFromSlog: r.AppendedFromSlog, SlogOnlyDecrees: rangesDoc(r.SlogOnlyDecrees), DurableDecree: r.DurableDecree,
			CommittedDecree: r.CommittedDecree, Prepared: rangesDoc(r.Prepared), Holes: rangesDoc(r.Holes),
			LostIfSlogIgnored: rangesDoc(r.LostIfSlogIgnored), Lost: rangesDoc(r.Lost), Ballot: r.Ballot, LogIncomplete: r.LogIncomplete, Failure: r.Error}
		for _, name := range r.Plog.Removed {
			rr.Plog.RemovedPaths = append(rr.Plog.RemovedPaths, filepath.Join(r.Path, "plog", name))
		}
		d.Replicas = append(d.Replicas, rr)
	}
	for _, o := range res.Orphans {
		d.Orphans = append(d.Orphans, schema.Orphan{Gpid: o.Gpid.String(), Mutations: int64(o.Mutations), MinDecree: o.MinDecree, MaxDecree: o.MaxDecree, Reason: o.Reason})
	}
	return d
}

func gcDoc(rep *gc.Report, applied *reclaim.Report) *schema.GC {
	l := rep.Limits
	d := &schema.GC{ServerVersion: string(rep.ServerVersion), Rule: string(rep.Rule), Log: string(rep.Logs), Now: timeDoc(time.Unix(rep.Now, 0)),
		Limits: schema.GCLimits{LogPrivateReserveMaxSizeMB: l.LogPrivateReserveMaxSizeMB, LogPrivateReserveMaxTimeSeconds: l.LogPrivateReserveMaxTimeSeconds,
			LogSharedFileCountLimit: int64(l.LogSharedFileCountLimit), LogSharedGCFlushReplicasLimit: int64(l.LogSharedGCFlushReplicasLimit)},
		ServerDirs: serverDirsDoc(rep.ServerDirs), Files: []schema.GCFile{}, Blockers: []schema.GCBlocker{}, Blocked: rep.Blocked(),
		FlushCommand:         rep.FlushCommand(),
		EmergencyCheckpoints: []string{}, EmergencyCheckpointsWhy: rep.CheckpointsWhy, SlogEmpties: rep.SlogEmpties,
		ReclaimableFiles: int64(rep.ReclaimableFiles), ReclaimableBytes: rep.ReclaimableBytes, Disks: []schema.GCDisk{},
		Notes: orEmpty(rep.Notes), Findings: schema.Findings(rep.Findings), Reclaim: appliedDoc(applied)}
	for _, f := range rep.Files {
		gf := schema.GCFile{Path: f.Path, Log: f.Log, Index: int64(f.Index), Bytes: f.Size, Verdict: string(f.Verdict), Reason: f.Reason, BlockedBy: []schema.GCHolding{}}
		if f.Gpid != nil {
			gf.Gpid = f.Gpid.String()
		}
		for _, b := range f.BlockedBy {
			gf.BlockedBy = append(gf.BlockedBy, schema.GCHolding{Gpid: b.Gpid.String(), NeedsDecree: b.NeedsDecree, DurableDecree: b.DurableDecree,
				MaxCommitOnDisk: b.PlogMaxCommit, DupConfirmedDecree: b.ConfirmedDecree})
		}
		d.Files = append(d.Files, gf)
	}
	for _, b := range rep.Blockers {
		gb := schema.GCBlocker{GCHolding: schema.GCHolding{NeedsDecree: b.NeedsDecree, DurableDecree: b.DurableDecree,
			MaxCommitOnDisk: b.PlogMaxCommit, DupConfirmedDecree: b.Confirmed}, Log: b.Log, Path: b.Path, Message: b.Message,
			FileCount: int64(b.Files), Bytes: b.Bytes, Release: orEmpty(b.Release), EmergencyCheckpoint: b.EmergencyCheckpoint}
		if b.Gpid != nil {
			gb.Gpid = b.Gpid.String()
		}
		d.Blockers = append(d.Blockers, gb)
	}
	for _, g := range rep.Checkpoints {
		d.EmergencyCheckpoints = append(d.EmergencyCheckpoints, g.String())
	}
	for _, k := range rep.Disks {
		d.Disks = append(d.Disks, schema.GCDisk{Disk: k.Disk, Device: k.Device, Paths: orEmpty(k.Dirs), FileCount: int64(k.Files), Bytes: k.Bytes})
	}
	return d
}

func appliedDoc(a *reclaim.Report) *schema.GCApplied {
	if a == nil {
		return nil
	}
	d := &schema.GCApplied{Dirs: []schema.GCAppliedDir{}, RemovedFiles: int64(a.RemovedFiles), RemovedBytes: a.RemovedBytes,
		FreedBytes: a.FreedBytes, Complete: a.Complete, Refused: a.Refused, StoppedAtPath: a.StoppedAt}
	for _, dir := range a.Dirs {
		ad := schema.GCAppliedDir{Path: dir.Path, Files: []schema.GCAppliedFile{}, RemovedFiles: int64(dir.RemovedFiles),
			RemovedBytes: dir.RemovedBytes, FreedBytes: dir.FreedBytes}
		for _, f := range dir.Files {
			ad.Files = append(ad.Files, schema.GCAppliedFile{Path: f.Path, Index: int64(f.Index), Bytes: f.Size, Action: string(f.Action),
				TrashPath: f.TrashPath, Outcome: string(f.Outcome), Reason: f.Reason})
		}
		d.Dirs = append(d.Dirs, ad)
	}
	return d
}

// runDoc is a journal's run: its kind read from the plan it keeps.
func runDoc(st *journal.State, kind string) *schema.Run {
	if st == nil {
		return nil
	}
	d := &schema.Run{RunID: st.Run.ID, Kind: kind, Args: orEmpty(st.Run.Args), StartedAt: timeDoc(st.Run.Started), Phases: []schema.Phase{},
		StepsDone: int64(st.StepsDone), StepsPending: int64(st.StepsPending), StepsUndone: int64(st.StepsUndone),
		FinishedAt: timeDoc(st.FinishedAt), RolledBackAt: timeDoc(st.RolledBackAt), State: runState(st), WrittenForPath: st.WrittenFor}
	prev := st.Run.Started
	for i, p := range st.Phases {
		ph := schema.Phase{Name: p}
		if i < len(st.PhaseTimes) {
			ph.DoneAt = timeDoc(st.PhaseTimes[i])
			if !prev.IsZero() {
				ph.Seconds = max(0, st.PhaseTimes[i].Sub(prev).Seconds())
			}
			prev = st.PhaseTimes[i]
		}
		d.Phases = append(d.Phases, ph)
	}
	return d
}

func runState(st *journal.State) string {
	switch {
	case st.RolledBack:
		return "rolled-back"
	case st.RollingBack:
		return "rolling-back"
	case st.Finished:
		return "finished"
	}
	return "interrupted"
}

func rollbackDoc(rb *journal.Report) *schema.Rollback {
	if rb == nil {
		return nil
	}
	d := &schema.Rollback{Steps: []schema.UndoneStep{}, AlreadyRolledBack: rb.AlreadyRolledBack, Resumed: rb.Resumed}
	for _, u := range rb.Steps {
		d.Steps = append(d.Steps, schema.UndoneStep{Step: int64(u.Step), Op: u.Op, Path: u.Path, FromPath: u.From, Action: u.Action})
	}
	return d
}

func proofDoc(p *migrate.Proof) *schema.Proof {
	if p == nil {
		return nil
	}
	return &schema.Proof{Equal: p.Equal, ComparedReplicas: int64(p.Compared), Diff: p.Diff, Abort: p.Abort}
}

func rebalanceDoc(r *migrate.Rebalance) *schema.Rebalance {
	if r == nil {
		return nil
	}
	d := &schema.Rebalance{DataDirs: []schema.RebalanceDir{}, Moves: []schema.Move{}, MovedBytes: r.MoveBytes, CopiedBytes: r.CopyBytes}
	for _, x := range r.DataDirs {
		d.DataDirs = append(d.DataDirs, schema.RebalanceDir{Path: x.Path, Device: x.Device,
			Before: schema.Load{ReplicaCount: int64(x.Before.Replicas), Bytes: x.Before.Bytes},
			After:  schema.Load{ReplicaCount: int64(x.After.Replicas), Bytes: x.After.Bytes}})
	}
	for _, m := range r.Moves {
		d.Moves = append(d.Moves, schema.Move{Gpid: m.Gpid.String(), FromPath: m.From, ToPath: m.To, Bytes: m.Bytes, Copy: m.Copy})
	}
	return d
}

func slogFilesDoc(fs []migrate.SlogFile) []schema.SlogFile {
	out := []schema.SlogFile{}
	for _, f := range fs {
		out = append(out, schema.SlogFile{Path: f.Path, Bytes: f.Size})
	}
	return out
}

func downgradeProofDoc(p *migrate.DowngradeProof) *schema.DowngradeProof {
	if p == nil {
		return nil
	}
	d := &schema.DowngradeProof{Proof: *proofDoc(&p.Proof), OK: p.OK}
	if n := p.Next; n != nil {
		d.NextWrites = &schema.NextWrites{ServerVersion: string(n.Version), PerReplica: int64(n.PerReplica), Seed: n.Seed, Acked: int64(n.Acked),
			SlogStartOffset: n.SlogStart, Lagged: int64(n.Lagged), Lost: schema.Findings(n.Lost), WontStart: n.WontStart}
	}
	return d
}

// kindOf names a journal's run by the plan it keeps: "upgrade" or
// "downgrade".
func kindOf(meta []byte) string {
	var k struct {
		Kind string `json:"kind"`
	}
	if json.Unmarshal(meta, &k) == nil && k.Kind == migrate.KindDowngrade {
		return "downgrade"
	}
	return "upgrade"
}

func upgradeDoc(rep *upgradeReport) *schema.Upgrade {
	plan := rep.plan
	d := &schema.Upgrade{Applied: rep.Applied, ServerDirs: serverDirsDoc(rep.sources), Replicas: []schema.UpgradeReplica{}, NotLoaded: []schema.NotLoaded{},
		Slog:      schema.SlogArchive{Path: plan.SlogDir, Files: slogFilesDoc(plan.SlogFiles), ArchivePath: rep.SlogArchive},
		Rebalance: rebalanceDoc(rep.Rebalance), Proof: proofDoc(rep.Proof), Journal: runDoc(rep.Journal, "upgrade"),
		Rollback: rollbackDoc(rep.Rollback), Findings: schema.Findings(rep.Findings)}
	for _, rp := range plan.Replicas {
		ur := schema.UpgradeReplica{Gpid: rp.Gpid.String(), Path: rp.Dir, FoldedMutations: rp.Fold, FoldedBytes: rp.FoldBytes,
			FoldedDecrees: rangesDoc(rp.Decrees), BeyondRuleDecrees: rangesDoc(rp.BeyondRuleDecrees), NewFiles: []schema.NewFile{}}
		for _, f := range rp.NewFiles {
			ur.NewFiles = append(ur.NewFiles, schema.NewFile{Path: f.Path, Bytes: f.Size, Mutations: f.Mutations,
				MaxDecree: f.Header.MaxDecree, ValidStartOffset: f.Header.ValidStartOffset})
		}
		d.Replicas = append(d.Replicas, ur)
	}
	for _, n := range rep.NotLoaded {
		d.NotLoaded = append(d.NotLoaded, schema.NotLoaded{Gpid: n.Gpid.String(), Path: n.Dir, Reason: n.Reason})
	}
	return d
}

func downgradeDoc(rep *downgradeReport) *schema.Downgrade {
	plan := rep.plan
	d := &schema.Downgrade{Target: string(rep.Target), Applied: rep.Applied, RestoredSlogArchive: rep.Restored, ServerDirs: serverDirsDoc(rep.sources),
		Slog: schema.DowngradeSlog{SlogArchive: schema.SlogArchive{Path: plan.SlogDir, Files: []schema.SlogFile{}, ArchivePath: rep.Archive},
			Create: plan.CreateSlogDir},
		Replicas: []schema.DowngradeReplica{}, PreviewProof: downgradeProofDoc(rep.Preview), Proof: downgradeProofDoc(rep.Proof),
		Journal: runDoc(rep.Journal, cmp.Or(rep.journalKind, "downgrade")), Rollback: rollbackDoc(rep.Rollback), Findings: schema.Findings(rep.Findings)}
	if len(rep.Archived) > 0 {
		d.Slog.Files = slogFilesDoc(plan.SlogFiles)
	}
	if s := plan.SlogStart; s != nil {
		d.Slog.StartFile = &schema.StartFile{Path: s.Path, StartOffset: s.StartOffset, AboveInitOffset: s.Above}
	}
	for _, r := range rep.Replicas {
		d.Replicas = append(d.Replicas, schema.DowngradeReplica{Gpid: r.Gpid, Path: r.Dir, Changes: orEmpty(r.Changes), Verdict: r.Proof})
	}
	return d
}
