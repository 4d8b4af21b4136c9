package migrate

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/fixtures"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/pegasus"
	"github.com/waltool/waltool/replay"
)

// A root read without its second data dir: the slog gpids of the replicas
// there are folded nowhere, and the plan says so, with each gpid, instead
// of archiving their writes silently.
func TestPlanFindsGpidsFoldedNowhere(t *testing.T) {
	m := generate(t, fixtures.Options{Seed: 4, Apps: 2, Replicas: 2, Mutations: 400, ValueSize: 20, Disks: 2, SlogFileSize: 8 << 10, PlogFileSize: 8 << 10})
	full, err := PlanUpgrade(openRoot(t, m), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if fs := full.Findings(); len(fs) != 0 {
		t.Fatalf("the whole root: %v", fs)
	}
	half, err := dataroot.Open(dataroot.Options{Root: m.Root})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := PlanUpgrade(half, Options{})
	if err != nil {
		t.Fatal(err)
	}
	fs := plan.Findings()
	if len(fs) == 0 {
		t.Fatal("no finding for the replicas of the data dir left out")
	}
	for _, f := range fs {
		if f.Class != finding.Missing || f.Gpid == nil || !strings.Contains(f.Message, "a data dir may be missing") {
			t.Errorf("%+v", f)
		}
	}
}

// The plan's refusals are what the 2.4 server refuses, found by the plan's
// own replay (no verify pass of its own): damage in a plog file the server
// replays or opens is refused, located at the damaged file and block;
// damage in bytes the server never reads (a plog file below the replay
// start, whose header alone it reads) is not, as Pegasus starts on it.
func TestPlanRefusalsAreWhatTheServerRefuses(t *testing.T) {
	clean := generate(t, fixtures.Options{Seed: 5, Replicas: 2, Mutations: 600, ValueSize: 20, SlogFileSize: 8 << 10, PlogFileSize: 8 << 10})
	plan, err := PlanUpgrade(openRoot(t, clean), Options{})
	if err != nil || len(plan.Refusals) != 0 {
		t.Fatalf("a clean root: %v %v", err, plan.Refusals)
	}
	refused, spared := 0, 0
	for seed := int64(1); seed <= 8; seed++ {
		for _, mode := range []string{fixtures.CorruptBitflip, fixtures.CorruptBadHeader} {
			m := generate(t, fixtures.Options{Seed: seed, Replicas: 2, Mutations: 600, ValueSize: 20, SlogFileSize: 8 << 10, PlogFileSize: 8 << 10, Corrupt: mode})
			c := m.Corruption
			root := openRoot(t, m)
			plan, err := PlanUpgrade(root, Options{})
			if err != nil {
				t.Fatalf("seed %d %s: %v", seed, mode, err)
			}
			res, err := replay.Run(root, replay.Options{Version: pegasus.V24})
			if err != nil {
				t.Fatal(err)
			}
			read := false // the 2.4 server reads the damaged bytes
			damaged, _, _ := format.ParseFileName(filepath.Base(c.File))
			for _, rr := range res.Replicas {
				first, _, _ := format.ParseFileName(rr.Plog.FirstFile)
				if rr.Gpid.String() == c.Log && (mode == fixtures.CorruptBadHeader || rr.Plog.FirstFile != "" && damaged >= first) {
					read = true
				}
			}
			located := false
			for _, f := range plan.Refusals {
				if f.Path == c.File && f.Class == finding.Corrupt {
					located = true
				}
			}
			if read != located {
				t.Errorf("seed %d %s: damage at %s offset %d; the server reads it: %v; refused: %v %v", seed, mode, c.File, c.Offset, read, located, plan.Refusals)
			}
			if located {
				refused++
			} else {
				spared++
			}
		}
	}
	if refused == 0 || spared == 0 {
		t.Fatalf("refused %d damaged roots, spared %d: both cases must occur", refused, spared)
	}
}
