package migrate

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/decrees"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/vfs"
)

type mu struct{ b, d, lcd int64 }

func appendAll(t *testing.T, w *format.LogWriter, g gpid.Gpid, ms []mu) {
	t.Helper()
	for _, x := range ms {
		m := &format.Mutation{Gpid: g, Ballot: x.b, Decree: x.d, LastCommittedDecree: x.lcd,
			Updates: []format.Update{{Code: "RPC_REPLICATION_WRITE_EMPTY", Data: []byte{byte(x.d), byte(x.b)}}}}
		if err := w.Append(m); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// A plog whose max_commit_on_disk (4, from a decree-5 mutation skipped for
// its lower ballot) is above the prepare list's last committed decree (2):
// the slog's decrees 3 and 4 are not appended by the server's rule (not
// above 4), but its replay prepares them, and without them decree 6's
// commit would find 3 missing. The plan folds them, beyond the rule, and
// the proof holds.
func TestFoldBeyondTheAppendRuleFillsAHole(t *testing.T) {
	root := t.TempDir()
	g := gpid.Gpid{App: 1, Partition: 0}
	ai := dataroot.NewAppInfo("t", g.App, 1)
	ii := dataroot.InitInfo{InitBallot: 1}
	dir, err := dataroot.CreateReplicaDir(vfs.OS, filepath.Join(root, "replica", "reps"), dataroot.ReplicaSpec{Gpid: g, AppInfo: &ai, InitInfo: &ii})
	if err != nil {
		t.Fatal(err)
	}
	pw := format.NewLogWriter(filepath.Join(dir, "plog"), 0, 0, []format.ReplicaLogInfo{{Gpid: g}}, format.WriterOptions{})
	appendAll(t, pw, g, []mu{{2, 1, 0}, {2, 2, 1}, {3, 5, 2}, {2, 5, 4}})
	slog := filepath.Join(root, "replica", "slog")
	if err := os.MkdirAll(slog, 0o755); err != nil {
		t.Fatal(err)
	}
	sw := format.NewLogWriter(slog, 0, 0, []format.ReplicaLogInfo{{Gpid: g}}, format.WriterOptions{})
	appendAll(t, sw, g, []mu{{2, 1, 0}, {2, 2, 1}, {3, 3, 2}, {3, 4, 3}, {3, 5, 4}, {3, 6, 5}})

	open := func() *dataroot.Root {
		r, err := dataroot.Open(dataroot.Options{Root: root})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	plan, err := PlanUpgrade(open(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	rp := plan.Replicas[0]
	if rp.MaxCommitOnDisk != 4 || rp.Appended != 2 || rp.BeyondRule != 2 ||
		len(rp.BeyondRuleDecrees) != 1 || rp.BeyondRuleDecrees[0] != (decrees.Range{First: 3, Last: 4}) {
		t.Fatalf("plan: %+v", rp)
	}
	steps := &DirectSteps{FS: vfs.OS}
	if err := plan.Fold(vfs.OS, steps); err != nil {
		t.Fatal(err)
	}
	if err := plan.Archive(steps, filepath.Join(root, "archive")); err != nil {
		t.Fatal(err)
	}
	proof, err := Prove(plan, open())
	if err != nil || !proof.Equal {
		t.Fatalf("proof: %+v %v", proof, err)
	}
	if got := plan.Before[0]; got.Committed != 5 || len(got.Prepared) != 1 || got.Ballot != 3 {
		t.Fatalf("before: %+v", got)
	}
	if len(steps.Phases) != 2 || steps.Phases[0] != "fold" || steps.Phases[1] != "archive" {
		t.Fatalf("phases %v", steps.Phases)
	}
}
