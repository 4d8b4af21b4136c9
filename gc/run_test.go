package gc

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/fixtures"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/format/slog"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/pegasus"
	"github.com/waltool/waltool/vfs"
)

var (
	g14 = gpid.Gpid{App: 1, Partition: 4}
	g15 = gpid.Gpid{App: 1, Partition: 5}
)

func mut(g gpid.Gpid, d int64) *format.Mutation {
	return &format.Mutation{Gpid: g, Ballot: 1, Decree: d, LastCommittedDecree: d - 1, Updates: []format.Update{{Code: "RPC_REPLICATION_WRITE_EMPTY"}}}
}

// handRoot builds a root: replica 1.4 (durable 10, duplicating dup) whose
// plog holds decrees 1..11 in three files (1-4, 5-8, 9-11), so its
// max_commit_on_disk is 10; with noPlogReplica, replica 1.5 (durable 3)
// without a plog dir; and a slog of slogFiles files holding 1.4's (and
// 1.5's) decrees 1..10 (in the last file only with one file).
func handRoot(t *testing.T, slogFiles int, dup, noPlogReplica bool) string {
	t.Helper()
	root := t.TempDir()
	reps := filepath.Join(root, "replica", "reps")
	ai := dataroot.NewAppInfo("t", 1, 8)
	ai.Duplicating = &dup
	ii := dataroot.InitInfo{InitBallot: 1}
	dir, err := dataroot.CreateReplicaDir(vfs.OS, reps, dataroot.ReplicaSpec{Gpid: g14, AppInfo: &ai, InitInfo: &ii, Checkpoints: []int64{10}})
	if err != nil {
		t.Fatal(err)
	}
	w := format.NewLogWriter(filepath.Join(dir, "plog"), 0, 0, []format.ReplicaLogInfo{{Gpid: g14}}, format.WriterOptions{})
	for d := int64(1); d <= 11; d++ {
		if d == 5 || d == 9 {
			w.SwitchFile()
		}
		if err := w.Append(mut(g14, d)); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	infos := []format.ReplicaLogInfo{{Gpid: g14}}
	if noPlogReplica {
		dir, err := dataroot.CreateReplicaDir(vfs.OS, reps, dataroot.ReplicaSpec{Gpid: g15, AppInfo: &ai, InitInfo: &ii, Checkpoints: []int64{3}})
		if err != nil {
			t.Fatal(err)
		}
		os.RemoveAll(filepath.Join(dir, "plog"))
		infos = append(infos, format.ReplicaLogInfo{Gpid: g15})
	}
	if err := os.MkdirAll(filepath.Join(root, "replica", "slog"), 0o755); err != nil {
		t.Fatal(err)
	}
	sw := slog.NewWriter(filepath.Join(root, "replica", "slog"), 0, 0, infos, format.WriterOptions{})
	for d := int64(1); d <= 10; d++ {
		if d > 1 && slogFiles > 1 && (d-1)%int64((10+slogFiles-1)/slogFiles) == 0 {
			sw.SwitchFile()
		}
		ms := []*format.Mutation{mut(g14, d)}
		if noPlogReplica {
			ms = append(ms, mut(g15, d))
		}
		if err := sw.Append(ms...); err != nil {
			t.Fatal(err)
		}
	}
	sw.Close()
	return root
}

func run(t *testing.T, root string, opts Options) *Report {
	t.Helper()
	r, err := dataroot.Open(dataroot.Options{Root: root, FS: vfs.ReadOnly(vfs.OS)})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(r, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func fileVerdicts(rep *Report, log string) string {
	var b strings.Builder
	for _, f := range rep.Files {
		if f.Log != log {
			continue
		}
		switch {
		case f.Verdict == Delete:
			b.WriteByte('D')
		case len(f.BlockedBy) > 0:
			b.WriteByte('B')
		default:
			b.WriteByte('k')
		}
	}
	return b.String()
}

// Run on a hand-built root, the slog under each rule and version.
func TestRunSlog(t *testing.T) {
	root := handRoot(t, 3, false, false)
	cases := []struct {
		name    string
		opts    Options
		want    string
		empties bool
		blocked bool
	}{
		{"2.5: durable 10 and plog max commit 10 cover the slog's decrees: it empties", Options{Version: pegasus.V25}, "DDD", true, false},
		{"2.4: nothing appended since open, three files: all go", Options{Version: pegasus.V24}, "DDD", true, false},
		{"2.3 writes the slog: the offline guard keeps the newest", Options{Version: pegasus.V23}, "DDk", false, false},
		{"durable 5: 1.4 holds the files with decrees above 5", Options{Version: pegasus.V25, DurableDecrees: map[gpid.Gpid]int64{g14: 5}}, "DBB", false, true},
		{"2.6 has no slog GC: files stranded", Options{Version: pegasus.V26}, "kkk", false, true},
	}
	for _, c := range cases {
		c.opts.Limits = DefaultLimits(c.opts.Version)
		rep := run(t, root, c.opts)
		if got := fileVerdicts(rep, "slog"); got != c.want || rep.SlogEmpties != c.empties || rep.Blocked() != c.blocked {
			t.Errorf("%s: %s empties %v blocked %v; findings %v", c.name, got, rep.SlogEmpties, rep.Blocked(), rep.Findings)
		}
	}
	rep := run(t, root, Options{Version: pegasus.V25, Limits: DefaultLimits(pegasus.V25), DurableDecrees: map[gpid.Gpid]int64{g14: 5}})
	if len(rep.Blockers) != 1 || *rep.Blockers[0].Gpid != g14 || rep.Blockers[0].NeedsDecree != 10 || rep.Blockers[0].DurableDecree != 5 ||
		!rep.Blockers[0].EmergencyCheckpoint || rep.Blockers[0].Command != "remote_command -l <replica_server_ip:port> replica.trigger-checkpoint 1.4" ||
		!cmp.Equal(rep.Checkpoints, []gpid.Gpid{g14}) {
		t.Fatalf("%+v", rep.Blockers)
	}
}

// ml24 L1433: a lone slog file survives the ≤ 2.4 rule, and is no blocker;
// 2.5 deletes it.
func TestRunLoneSlogFile(t *testing.T) {
	root := handRoot(t, 1, false, false)
	rep := run(t, root, Options{Version: pegasus.V24, Limits: DefaultLimits(pegasus.V24)})
	if fileVerdicts(rep, "slog") != "k" || rep.Blocked() || rep.SlogEmpties || len(rep.Notes) == 0 {
		t.Fatalf("%s %+v", fileVerdicts(rep, "slog"), rep)
	}
	rep = run(t, root, Options{Version: pegasus.V24, Rule: Rule25, Limits: DefaultLimits(pegasus.V24)})
	if fileVerdicts(rep, "slog") != "D" || !rep.SlogEmpties {
		t.Fatalf("%s", fileVerdicts(rep, "slog"))
	}
}

// A replica without a plog dir: the server opens an empty plog
// (max_commit_on_disk 0), so its condition min(durable, 0) holds every slog
// file with its decrees, and the release names the plog.
func TestRunReplicaWithoutPlog(t *testing.T) {
	root := handRoot(t, 3, false, true)
	rep := run(t, root, Options{Version: pegasus.V25, Limits: DefaultLimits(pegasus.V25)})
	if got := fileVerdicts(rep, "slog"); got != "BBB" {
		t.Fatalf("%s %v", got, rep.Findings)
	}
	var b *ReplicaBlocker
	for i := range rep.Blockers {
		if *rep.Blockers[i].Gpid == g15 {
			b = &rep.Blockers[i]
		}
	}
	if b == nil || b.PlogMaxCommit == nil || *b.PlogMaxCommit != 0 || len(b.Release) != 2 || !strings.Contains(b.Release[1], "max_commit_on_disk") {
		t.Fatalf("%+v", rep.Blockers)
	}
}

// The plog rule through Run: durable 10 covers files 1-2 (header max 8 in
// log.3), not the newest (max decree 11); the plan lists what goes, oldest
// first, with sizes. Duplication: without a confirmed decree the server
// skips plog GC (replica_chkpt.cpp L148); with one, cleanable is min(durable,
// confirmed) and valid_start_offset 0 (L131-141).
func TestRunPlog(t *testing.T) {
	root := handRoot(t, 3, false, false)
	rep := run(t, root, Options{Version: pegasus.V25, Logs: LogPlog, Limits: DefaultLimits(pegasus.V25)})
	if got := fileVerdicts(rep, "plog"); got != "DDB" || fileVerdicts(rep, "slog") != "" {
		t.Fatalf("%s", got)
	}
	plan := rep.Plan()
	if len(plan) != 1 || plan[0].Log != "plog" || *plan[0].Gpid != g14 || len(plan[0].Files) != 2 ||
		plan[0].Files[0].Index != 1 || plan[0].Files[1].Index != 2 || plan[0].Files[0].Size == 0 ||
		rep.ReclaimableBytes != plan[0].Files[0].Size+plan[0].Files[1].Size || len(rep.Disks) != 1 || rep.Disks[0].Disk != "default" {
		t.Fatalf("%+v %+v", plan, rep.Disks)
	}
	for _, f := range plan[0].Files {
		if st, err := os.Stat(f.Path); err != nil || st.Size() != f.Size {
			t.Fatalf("%+v %v", f, err)
		}
	}

	root = handRoot(t, 3, true, false)
	rep = run(t, root, Options{Version: pegasus.V25, Logs: LogPlog, Limits: DefaultLimits(pegasus.V25)})
	if got := fileVerdicts(rep, "plog"); got != "kkk" || !strings.Contains(rep.Files[0].Reason, "--dup-confirmed") {
		t.Fatalf("%s %+v", got, rep.Files)
	}
	rep = run(t, root, Options{Version: pegasus.V25, Logs: LogPlog, Limits: DefaultLimits(pegasus.V25), DupConfirmed: map[gpid.Gpid]int64{g14: 3}})
	if got := fileVerdicts(rep, "plog"); got != "BBB" || *rep.Files[0].BlockedBy[0].ConfirmedDecree != 3 {
		t.Fatalf("%s %+v", got, rep.Files)
	}
}

func snapshot(t *testing.T, dir string) map[string]string {
	m := map[string]string{}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		m[p] = info.Mode().String() + " " + info.ModTime().String()
		if !info.IsDir() {
			b, _ := os.ReadFile(p)
			m[p] += " " + string(b)
		}
		return nil
	})
	return m
}

// A dry run changes nothing, on a generated root, under every rule and
// log; and its JSON has no null list.
func TestDryRunChangesNothing(t *testing.T) {
	out := filepath.Join(t.TempDir(), "root")
	if _, err := fixtures.Generate(fixtures.Options{Out: out, Seed: 5, Apps: 2, Replicas: 2, Mutations: 400, Disks: 2, SlogFileSize: 16384, PlogFileSize: 8192, ValueSize: 16}); err != nil {
		t.Fatal(err)
	}
	m, err := fixtures.ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, out)
	for _, v := range []pegasus.Version{pegasus.V23, pegasus.V24, pegasus.V25, pegasus.V26} {
		r, err := dataroot.Open(dataroot.Options{Root: out, Server: dataroot.Flags("", m.DataDirs), FS: vfs.ReadOnly(vfs.OS)})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Run(r, Options{Version: v, Logs: LogAll, Limits: ShippedLimits})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(rep)
		if strings.Contains(string(b), "null") {
			t.Errorf("%s: null in %s", v, b)
		}
		if len(rep.Files) == 0 {
			t.Errorf("%s: no files", v)
		}
		for _, p := range rep.Plan() {
			for i := 1; i < len(p.Files); i++ {
				if p.Files[i].Index != p.Files[i-1].Index+1 {
					t.Errorf("%s: plan of %s has a hole: %+v", v, p.Dir, p.Files)
				}
			}
		}
	}
	if d := cmp.Diff(before, snapshot(t, out)); d != "" {
		t.Fatalf("tree changed:\n%s", d)
	}
}

// One command for every replica of the server, in the order given; none
// for no replica (the server would checkpoint every replica it has).
func TestCheckpointCommand(t *testing.T) {
	gs := []gpid.Gpid{{App: 1, Partition: 2}, {App: 1, Partition: 10}, {App: 3, Partition: 0}}
	if got := CheckpointCommand("10.0.0.1:34801", gs); got != "remote_command -l 10.0.0.1:34801 replica.trigger-checkpoint 1.2,1.10,3.0" {
		t.Errorf("%q", got)
	}
	if got := CheckpointCommand("", gs[:1]); got != "remote_command -l "+AddressPlaceholder+" replica.trigger-checkpoint 1.2" {
		t.Errorf("%q", got)
	}
	if got := CheckpointCommand("10.0.0.1:34801", nil); got != "" {
		t.Errorf("no replica: %q", got)
	}
}
