package migrate

import (
	"path/filepath"
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

// Issue 18: a slog archive on another, small filesystem passed the check
// and failed mid-run with ENOSPC. The archive copies the slog files there:
// the check counts them on that filesystem, and refuses before anything is
// written.
func TestCheckSpaceCountsTheArchiveOnAnotherFilesystem(t *testing.T) {
	m := generate(t, fixtures.Options{Seed: 3, Apps: 1, Replicas: 2, Mutations: 300, ValueSize: 20, SlogFileSize: 8 << 10, PlogFileSize: 8 << 10})
	plan, err := PlanUpgrade(openRoot(t, m), Options{})
	if err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	plan.SlogArchive = filepath.Join(other, "archive")
	var slog int64
	for _, f := range plan.SlogFiles {
		slog += f.Size
	}
	if err := plan.CheckSpace(vfs.SmallDevice(vfs.OS, other, slog+spaceMargin(slog))); err != nil {
		t.Fatalf("an archive that fits: %v", err)
	}
	err = plan.CheckSpace(vfs.SmallDevice(vfs.OS, other, slog-1))
	if err == nil || !strings.Contains(err.Error(), other) || !strings.Contains(err.Error(), "16 MiB") {
		t.Fatalf("an archive that does not fit: %v", err)
	}
	// On the slog's own filesystem the archive renames: nothing to count.
	plan.SlogArchive = plan.SlogDir + ".waltool-archive"
	if err := plan.CheckSpace(vfs.SmallDevice(vfs.OS, other, 0)); err != nil {
		t.Fatalf("an archive beside the slog: %v", err)
	}
}

// The downgrade archives leftover slog files the same way: on another
// filesystem they are copied, and must fit there.
func TestDowngradeCheckSpaceCountsTheArchive(t *testing.T) {
	slog, other := t.TempDir(), t.TempDir()
	plan := &DowngradePlan{SlogDir: slog, SlogArchive: filepath.Join(other, "archive"),
		SlogFiles: []SlogFile{{Path: filepath.Join(slog, "log.1.0"), Size: 40 << 20}}}
	if err := plan.CheckSpace(vfs.SmallDevice(vfs.OS, other, 64<<20)); err != nil {
		t.Fatalf("fits: %v", err)
	}
	if err := plan.CheckSpace(vfs.SmallDevice(vfs.OS, other, 50<<20)); err == nil || !strings.Contains(err.Error(), other) {
		t.Fatalf("40 MiB + the margin on 50 MiB free: %v", err)
	}
}
