package migrate

import (
	"testing"

	"github.com/waltool/waltool/format/plog"
	"github.com/waltool/waltool/vfs"
)

// The plan takes each plog's state from the replay (no second scan): it
// must be what plog.ReadState, the writer's own reopen, rebuilds.
func TestPlanPlogStateIsReadState(t *testing.T) {
	compared := 0
	for _, o := range shapes(12) {
		m := generate(t, o)
		root := openRoot(t, m)
		plan, err := PlanUpgrade(root, Options{})
		if err != nil {
			t.Fatalf("seed %d: %v", o.Seed, err)
		}
		for _, rp := range plan.Replicas {
			if rp.Fold == 0 || rp.CreatePlogDir {
				continue
			}
			var durable int64
			for _, dr := range root.Replicas {
				if dr.Gpid == rp.Gpid {
					durable = dr.DurableDecree
				}
			}
			compared++
			st, err := plog.ReadState(vfs.ReadOnly(vfs.OS), rp.PlogDir, rp.Gpid, rp.ValidStartOffset, durable)
			if err != nil {
				t.Fatalf("seed %d %s: %v", o.Seed, rp.Gpid, err)
			}
			if st.LastIndex != rp.LastIndex || st.EndOffset != rp.EndOffset || st.MaxDecree != rp.MaxDecree {
				t.Errorf("seed %d %s: plan (index %d, end %d, max decree %d), ReadState (%d, %d, %d)", o.Seed, rp.Gpid, rp.LastIndex, rp.EndOffset, rp.MaxDecree, st.LastIndex, st.EndOffset, st.MaxDecree)
			}
		}
	}
	if compared < 10 {
		t.Fatalf("compared %d replicas", compared)
	}
}
