package replay

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/format"
)

// Two replica dirs of one gpid on two data dirs (the server CHECK-aborts
// with "conflict replica dir" when both load): --emit still prints one
// stream, that of the dir the rest of the replay keeps (the last in
// data-dir order), from one goroutine at a time. Run under -race: the
// plogs are replayed in parallel.
func TestEmitConflictReplicaDirsOneStream(t *testing.T) {
	disk1, disk2 := newRoot(t), newRoot(t)
	disk1.replica(g14, 0, dataroot.InitInfo{InitBallot: 1}, seq(1, 1, 40))
	disk2.replica(g14, 0, dataroot.InitInfo{InitBallot: 2}, seq(2, 1, 30))
	root, err := dataroot.Open(dataroot.Options{Server: dataroot.Flags(filepath.Join(disk1.root, "none"), "d1:"+disk1.root+",d2:"+disk2.root)})
	if err != nil {
		t.Fatal(err)
	}
	if len(root.Replicas) != 2 {
		t.Fatalf("replicas: %d", len(root.Replicas))
	}
	var got []mu // written by the callback: unsynchronised, as the CLI's writer is
	var committed []bool
	res, err := Run(root, Options{Workers: 2, EmitGpid: &g14, Emit: func(m *format.Mutation, at Loc, c bool) error {
		// Each mutation comes with where it was read: disk2's plog.
		if !strings.HasPrefix(at.File, disk2.root) || at.Pos.FileOffset == 0 || m.LogOffset-at.Pos.FileOffset != 0 {
			t.Errorf("decree %d read at %+v", m.Decree, at)
		}
		got = append(got, mu{m.Ballot, m.Decree, m.LastCommittedDecree})
		committed = append(committed, c)
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Abort, "conflict replica dir") {
		t.Fatalf("abort: %q", res.Abort)
	}
	// disk2's dir: 1..29 committed, 30 prepared.
	want := seq(2, 1, 30)
	var wantMu []mu
	for _, w := range want {
		wantMu = append(wantMu, w.m)
	}
	if d := cmp.Diff(wantMu, got, cmp.AllowUnexported(mu{})); d != "" {
		t.Fatalf("emitted stream (-want +got):\n%s", d)
	}
	for i, c := range committed {
		if c != (i < 29) {
			t.Fatalf("mutation %d: committed %v", i, c)
		}
	}
}
