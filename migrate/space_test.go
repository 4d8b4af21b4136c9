package migrate

import (
	"strings"
	"testing"

	"github.com/waltool/waltool/fixtures"
	"github.com/waltool/waltool/vfs"
)

// CheckSpace passes a plan that fits and refuses, before anything is
// written, one whose new files the disk cannot hold.
func TestCheckSpace(t *testing.T) {
	m := generate(t, fixtures.Options{Seed: 3, Apps: 1, Replicas: 2, Mutations: 300, ValueSize: 20, SlogFileSize: 8 << 10, PlogFileSize: 8 << 10})
	plan, err := PlanUpgrade(openRoot(t, m), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := plan.CheckSpace(vfs.OS); err != nil {
		t.Fatalf("a small plan: %v", err)
	}
	for _, rp := range plan.Replicas {
		if rp.FoldBytes > 0 {
			rp.NewFiles[0].Size = 1 << 60
			err := plan.CheckSpace(vfs.OS)
			if err == nil || !strings.Contains(err.Error(), "not enough free space") {
				t.Fatalf("an exabyte fits? %v", err)
			}
			return
		}
	}
	t.Fatal("nothing to fold in the test root")
}
