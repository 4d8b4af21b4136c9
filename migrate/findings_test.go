package migrate

import (
	"strings"
	"testing"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/fixtures"
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
