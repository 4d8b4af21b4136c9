package migrate

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/waltool/waltool/fixtures"
	"github.com/waltool/waltool/vfs"
)

// BenchmarkFold measures Fold alone (the plan is made once; each round
// removes the new files): bytes are the new plog files written.
//
//	go test -run XXX -bench Fold -benchtime 5x ./migrate
func BenchmarkFold(b *testing.B) {
	m := generate(b, fixtures.Options{Seed: 3, Apps: 4, Replicas: 8, Mutations: 200000, ValueSize: 400,
		Disks: 2, SlogFileSize: 32 << 20, PlogFileSize: 32 << 20})
	// The generator's plogs lag the slog by little: empty them, so that
	// the whole slog is folded (a root whose plogs never got the slog's
	// writes). Replicas whose learn reset put init_offset_in_private_log
	// past an empty plog cannot be folded: they are dropped.
	for _, re := range m.Replicas {
		plogDir := filepath.Join(re.Dir, "plog")
		ents, _ := os.ReadDir(plogDir)
		for _, e := range ents {
			os.Remove(filepath.Join(plogDir, e.Name()))
		}
		if re.InitInfo.InitOffsetInPrivateLog > 0 {
			os.RemoveAll(re.Dir)
		}
	}
	plan, err := PlanUpgrade(openRoot(b, m), Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("slog %d MB, folding %d mutations, %d MB into %d replicas", m.Bytes>>20, plan.FoldMutations, plan.FoldBytes>>20, len(plan.Replicas))
	b.SetBytes(plan.FoldBytes)
	b.ReportMetric(float64(plan.FoldMutations), "mutations/op")
	for b.Loop() {
		b.StopTimer()
		for _, rp := range plan.Replicas {
			for _, nf := range rp.NewFiles {
				os.Remove(nf.Path)
			}
		}
		b.StartTimer()
		if err := plan.Fold(vfs.OS, &DirectSteps{FS: vfs.OS}); err != nil {
			b.Fatal(err)
		}
	}
}
