package replay

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/decrees"
	"github.com/waltool/waltool/fixtures"
	"github.com/waltool/waltool/internal/refdecode"
	"github.com/waltool/waltool/pegasus"
)

// Over many generated roots, the replay agrees with what the generator
// knows it wrote (its manifest), and appended_from_slog agrees with an
// independent count: per replica, the slog mutations at or past its
// init_offset_in_shared_log whose decree is above the plog's max committed
// decree (the rule of replica::replay_mutation).
func TestReplayAgreesWithGeneratorAndIndependentDecoder(t *testing.T) {
	seeds := 40
	if testing.Short() {
		seeds = 8
	}
	for seed := 1; seed <= seeds; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "root")
			m, err := fixtures.Generate(fixtures.Options{Out: out, Seed: int64(seed), Apps: 1 + seed%3, Replicas: 1 + seed%4,
				Mutations: 300 + 37*seed, ValueSize: 20, Disks: 1 + seed%2, SlogFileSize: 16 << 10, PlogFileSize: 8 << 10})
			if err != nil {
				t.Fatal(err)
			}
			root, err := dataroot.Open(dataroot.Options{Root: m.Root, Server: dataroot.Flags("", m.DataDirs)})
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(root, Options{Version: pegasus.V24})
			if err != nil {
				t.Fatal(err)
			}
			if !res.OK {
				t.Fatalf("not OK: %+v", res)
			}
			slog, err := refdecode.DecodeDir(m.SlogDir)
			if err != nil {
				t.Fatal(err)
			}
			for i, rr := range res.Replicas {
				want := m.Replicas[i]
				if rr.Gpid != want.Gpid {
					t.Fatalf("replica %d: %s vs manifest %s", i, rr.Gpid, want.Gpid)
				}
				got := struct {
					Durable, Committed, PlogMaxCommit int64
					SlogOnly                          []decrees.Range
				}{rr.DurableDecree, rr.CommittedDecree, rr.Plog.MaxCommit, rr.SlogOnlyDecrees}
				exp := got
				exp.Durable = want.DurableDecree
				exp.Committed = max(want.CommittedDecree, want.DurableDecree)
				exp.PlogMaxCommit = want.Plog.MaxCommit
				exp.SlogOnly = above(want.SlogOnlyDecrees, want.DurableDecree)
				if d := cmp.Diff(exp, got); d != "" {
					t.Errorf("%s (-manifest +replay):\n%s", rr.Gpid, d)
				}

				var n int64
				for _, mu := range slog.Mutations() {
					if mu.App == want.Gpid.App && mu.Partition == want.Gpid.Partition &&
						mu.LogOffset >= want.InitInfo.InitOffsetInSharedLog && mu.Decree > want.Plog.MaxCommit {
						n++
					}
				}
				if rr.AppendedFromSlog != n {
					t.Errorf("%s: appended_from_slog %d, independent count %d", rr.Gpid, rr.AppendedFromSlog, n)
				}
			}
		})
	}
}
