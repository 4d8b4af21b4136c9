package replay

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/decrees"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/pegasus"
	"github.com/waltool/waltool/vfs"
)

// mu is one logged mutation: ballot, decree, last committed decree.
type mu struct{ b, d, lcd int64 }

// batch starts a new file (a restart) when file is set.
type write struct {
	m       mu
	newFile bool
}

type testRoot struct {
	t    *testing.T
	root string
}

func newRoot(t *testing.T) *testRoot {
	return &testRoot{t: t, root: t.TempDir()}
}

func (tr *testRoot) reps() string { return filepath.Join(tr.root, "replica", "reps") }
func (tr *testRoot) slog() string { return filepath.Join(tr.root, "replica", "slog") }

// replica creates replica g with a durable decree (checkpoint) and its
// plog; each write is one batch; initPrivate is .init-info's offset.
func (tr *testRoot) replica(g gpid.Gpid, durable int64, ii dataroot.InitInfo, plog []write) *format.LogWriter {
	tr.t.Helper()
	ai := dataroot.NewAppInfo("t", g.App, 8)
	var cps []int64
	if durable > 0 {
		cps = []int64{durable}
	}
	dir, err := dataroot.CreateReplicaDir(vfs.OS, tr.reps(), dataroot.ReplicaSpec{Gpid: g, AppInfo: &ai, InitInfo: &ii, Checkpoints: cps})
	if err != nil {
		tr.t.Fatal(err)
	}
	w := format.NewLogWriter(filepath.Join(dir, "plog"), 0, 0, []format.ReplicaLogInfo{{Gpid: g, ValidStartOffset: ii.InitOffsetInPrivateLog}}, format.WriterOptions{})
	writeAll(tr.t, w, g, plog)
	return w
}

func writeAll(t *testing.T, w *format.LogWriter, g gpid.Gpid, ws []write) {
	t.Helper()
	for _, x := range ws {
		if x.newFile {
			w.SwitchFile()
		}
		m := &format.Mutation{Gpid: g, Ballot: x.m.b, Decree: x.m.d, LastCommittedDecree: x.m.lcd, Updates: []format.Update{{Code: "RPC_REPLICATION_WRITE_EMPTY"}}}
		if err := w.Append(m); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
}

// slogWrites writes one shared log interleaving gpids.
func (tr *testRoot) slogWriter() *format.LogWriter {
	if err := os.MkdirAll(tr.slog(), 0o755); err != nil {
		tr.t.Fatal(err)
	}
	return format.NewLogWriter(tr.slog(), 0, 0, nil, format.WriterOptions{})
}

func (tr *testRoot) run(opts Options) *Result {
	tr.t.Helper()
	// A test root without a slog dir states so, as an operator does with
	// --no-slog; otherwise replay cannot call anything safe.
	_, err := os.Stat(tr.slog())
	r, err := dataroot.Open(dataroot.Options{Root: tr.root, NoSlog: os.IsNotExist(err)})
	if err != nil {
		tr.t.Fatal(err)
	}
	res, err := Run(r, opts)
	if err != nil {
		tr.t.Fatal(err)
	}
	return res
}

func seq(b, from, to int64) []write {
	var ws []write
	for d := from; d <= to; d++ {
		ws = append(ws, write{m: mu{b, d, d - 1}})
	}
	return ws
}

var g14 = gpid.Gpid{App: 1, Partition: 4}

func rg(a, b int64) decrees.Range { return decrees.Range{First: a, Last: b} }

// replica::replay_mutation + prepare_list::prepare(PS_INACTIVE): each
// mutation's last_committed_decree commits everything up to it; the last
// one stays prepared.
func TestPlogCommitsUpToLastCommittedDecree(t *testing.T) {
	tr := newRoot(t)
	tr.replica(g14, 0, dataroot.InitInfo{InitBallot: 1}, seq(1, 1, 10))
	res := tr.run(Options{})
	r := res.Replicas[0]
	if !res.OK || r.CommittedDecree != 9 || !cmp.Equal(r.Prepared, []decrees.Range{rg(10, 10)}) || r.Plog.MaxCommit != 9 || r.Plog.Mutations != 10 {
		t.Fatalf("%+v", r)
	}
}

// replay_mutation: "if d <= last_committed_decree(): skip" — decrees the
// app has durably applied are not applied again.
func TestDurableDecreeSkipsApplied(t *testing.T) {
	tr := newRoot(t)
	tr.replica(g14, 6, dataroot.InitInfo{InitBallot: 1}, seq(1, 1, 10))
	r := tr.run(Options{}).Replicas[0]
	if r.DurableDecree != 6 || r.CommittedDecree != 9 {
		t.Fatalf("%+v", r)
	}
	// --durable-decrees overrides the checkpoint dirs.
	r = tr.run(Options{DurableDecrees: map[gpid.Gpid]int64{g14: 8}}).Replicas[0]
	if r.DurableDecree != 8 || r.CommittedDecree != 9 {
		t.Fatalf("%+v", r)
	}
}

// mutation_log::open (private): replay starts at the last file whose
// header max_decree is covered by the app's durable decree.
func TestPlogStartFileFilter(t *testing.T) {
	tr := newRoot(t)
	ws := seq(1, 1, 10)
	ws[5].newFile = true // decree 6 starts log.2.*, header max_decree 5
	ws[8].newFile = true // decree 9 starts log.3.*, header max_decree 8
	tr.replica(g14, 7, dataroot.InitInfo{InitBallot: 1}, ws)
	r := tr.run(Options{}).Replicas[0]
	if !strings.HasPrefix(r.Plog.FirstFile, "log.2.") || r.Plog.Mutations != 5 || r.CommittedDecree != 9 {
		t.Fatalf("%+v", r)
	}
}

// replay_mutation: plog mutations below init_offset_in_private_log (before
// the replica's last learning reset) are ignored.
func TestInitOffsetInPrivateLog(t *testing.T) {
	tr := newRoot(t)
	// Each EMPTY mutation is 99 bytes in its own 115-byte block; decree 4
	// starts at 60 + 3*115.
	tr.replica(g14, 0, dataroot.InitInfo{InitBallot: 1, InitOffsetInPrivateLog: 60 + 3*115}, seq(1, 1, 6))
	r := tr.run(Options{}).Replicas[0]
	if r.Plog.Mutations != 3 || r.Plog.MinDecree != 4 {
		t.Fatalf("%+v", r)
	}
}

// prepare_list::prepare: a higher ballot replaces a prepared decree; the
// recovered stream carries the winner.
func TestHigherBallotReplaces(t *testing.T) {
	tr := newRoot(t)
	// 4 and 5 are prepared at ballot 1 (5 does not commit 4), then
	// re-proposed at ballot 2 after a primary change.
	ws := append(seq(1, 1, 3), write{m: mu{1, 4, 3}}, write{m: mu{1, 5, 3}},
		write{m: mu{2, 4, 3}}, write{m: mu{2, 5, 3}}, write{m: mu{2, 6, 5}}, write{m: mu{2, 7, 6}})
	tr.replica(g14, 0, dataroot.InitInfo{InitBallot: 1}, ws)
	var got []mu
	res := tr.run(Options{EmitGpid: &g14, Emit: func(m *format.Mutation, _ Loc, committed bool) error {
		got = append(got, mu{m.Ballot, m.Decree, m.LastCommittedDecree})
		return nil
	}})
	want := []mu{{1, 1, 0}, {1, 2, 1}, {1, 3, 2}, {2, 4, 3}, {2, 5, 3}, {2, 6, 5}, {2, 7, 6}}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(mu{})); d != "" || res.Replicas[0].Ballot != 2 {
		t.Fatalf("recovered stream (-want +got):\n%s", d)
	}
}

// prepare_list::prepare: a last_committed_decree beyond every cached decree
// resets the list (jumps the hole) and applies nothing; the hole is left
// for learning.
func TestJumpOverHole(t *testing.T) {
	tr := newRoot(t)
	ws := append(seq(1, 1, 3), write{m: mu{1, 8, 7}}, write{m: mu{1, 9, 8}})
	tr.replica(g14, 0, dataroot.InitInfo{InitBallot: 1}, ws)
	res := tr.run(Options{})
	r := res.Replicas[0]
	// 1 and 2 are committed by 2 and 3's lcd; 8's lcd 7 jumps; the app
	// stays at 2; 3 was dropped by the reset; 8 and 9 stay prepared.
	if !res.OK || r.CommittedDecree != 2 || !cmp.Equal(r.Prepared, []decrees.Range{rg(8, 9)}) || !cmp.Equal(r.Holes, []decrees.Range{rg(3, 7)}) {
		t.Fatalf("%+v", r)
	}
}

// prepare_list::commit(COMMIT_TO_DECREE_HARD): a missing decree inside the
// window aborts the server.
func TestMissingDecreeAborts(t *testing.T) {
	tr := newRoot(t)
	tr.replica(g14, 0, dataroot.InitInfo{InitBallot: 1}, []write{{m: mu{1, 1, 0}}, {m: mu{1, 3, 0}}, {m: mu{1, 4, 3}}})
	res := tr.run(Options{})
	if res.OK || !strings.Contains(res.Abort, "mutation 2 is missing") || !strings.Contains(res.Replicas[0].Error, "missing") {
		t.Fatalf("%+v %+v", res, res.Replicas[0])
	}
	// The finding names the replica, the file and the offset of the
	// mutation whose replay hit the CHECK (issue 9).
	if len(res.Findings) != 1 {
		t.Fatalf("findings %+v", res.Findings)
	}
	f := res.Findings[0]
	if f.Class != finding.Corrupt || f.Gpid == nil || *f.Gpid != g14 || !strings.HasSuffix(f.Path, "/plog/log.1.0") || f.Offset != 306 ||
		!strings.Contains(f.Message, "aborts the server") || !strings.Contains(f.Message, "decree 4") || !strings.Contains(res.Abort, "log.1.0: mutation at offset 306") {
		t.Fatalf("finding %+v", f)
	}
}

// mutation_cache::put: more than max_mutation_count_in_prepare_list
// uncommitted decrees abort the server (ERR_CAPACITY_EXCEEDED).
func TestPrepareListCapacityAborts(t *testing.T) {
	tr := newRoot(t)
	var ws []write
	for d := int64(1); d <= 12; d++ {
		ws = append(ws, write{m: mu{1, d, 0}})
	}
	tr.replica(g14, 0, dataroot.InitInfo{InitBallot: 1}, ws)
	res := tr.run(Options{MaxPrepareCount: 10})
	if res.OK || !strings.Contains(res.Abort, "ERR_CAPACITY_EXCEEDED") {
		t.Fatalf("%+v", res)
	}
}

// The slog holds what the plog lacks: replica::replay_mutation appends a
// slog mutation to the plog when its decree is above the plog's
// max_commit_on_disk, and a 2.6 server, which ignores the slog, loses it.
func TestSlogTailAndVersions(t *testing.T) {
	tr := newRoot(t)
	tr.replica(g14, 0, dataroot.InitInfo{InitBallot: 1}, seq(1, 1, 6))
	sw := tr.slogWriter()
	writeAll(t, sw, g14, seq(1, 1, 10))
	for _, v := range []pegasus.Version{pegasus.V24, pegasus.V25} {
		res := tr.run(Options{Version: v})
		r := res.Replicas[0]
		if !res.OK || r.CommittedDecree != 9 || r.AppendedFromSlog != 5 || !cmp.Equal(r.SlogOnlyDecrees, []decrees.Range{rg(7, 10)}) ||
			!cmp.Equal(r.LostIfSlogIgnored, []decrees.Range{rg(7, 10)}) || len(r.Lost) != 0 || r.Slog.Mutations != 10 {
			t.Fatalf("%s: %+v", v, r)
		}
	}
	res := tr.run(Options{Version: pegasus.V26})
	r := res.Replicas[0]
	if res.OK || r.CommittedDecree != 5 || !cmp.Equal(r.Prepared, []decrees.Range{rg(6, 6)}) || !cmp.Equal(r.Lost, []decrees.Range{rg(7, 10)}) || res.Slog.Read {
		t.Fatalf("2.6: %+v", r)
	}
}

// replay_mutation: slog mutations below init_offset_in_shared_log are
// ignored; mutations of gpids without a replica are orphans.
func TestSlogInitOffsetAndOrphans(t *testing.T) {
	tr := newRoot(t)
	// The slog's block 0 is 36 bytes (no entries yet); decree 5 starts at 496.
	tr.replica(g14, 0, dataroot.InitInfo{InitBallot: 1, InitOffsetInSharedLog: 36 + 4*115}, seq(1, 1, 3))
	sw := tr.slogWriter()
	writeAll(t, sw, g14, seq(1, 1, 6))
	// A restart: the new file's header carries 1.4's max decree.
	sw = format.NewLogWriter(tr.slog(), sw.LastIndex(), sw.EndOffset(), []format.ReplicaLogInfo{{Gpid: g14, MaxDecree: 6}}, format.WriterOptions{})
	writeAll(t, sw, gpid.Gpid{App: 9, Partition: 0}, seq(1, 1, 2))
	res := tr.run(Options{})
	r := res.Replicas[0]
	if r.Slog.Mutations != 2 || r.Slog.MinDecree != 5 || len(res.Orphans) != 1 || res.Orphans[0].Gpid.String() != "9.0" || res.Orphans[0].Mutations != 2 {
		t.Fatalf("%+v\n%+v", r, res.Orphans)
	}
}

// rdsn 2.3 replica_stub::initialize: a plog ahead of the slog (as after a
// downgrade from 2.4) means "some shared log state must be lost" and every
// replica is marked inactive.
func TestV23ConsistencyCheck(t *testing.T) {
	tr := newRoot(t)
	tr.replica(g14, 0, dataroot.InitInfo{InitBallot: 1}, seq(1, 1, 8))
	writeAll(t, tr.slogWriter(), g14, seq(1, 1, 5))
	res := tr.run(Options{Version: pegasus.V23})
	if !res.AllInactive || !res.Replicas[0].LogIncomplete {
		t.Fatalf("%+v", res)
	}
	if res := tr.run(Options{Version: pegasus.V24}); res.AllInactive {
		t.Fatal("2.4 dropped the check")
	}
}
