package verify

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/vfs"
)

// A DirSpec carrying its listing is not listed again: a file added after
// the listing is not verified.
func TestLogDirsUsesTheGivenListing(t *testing.T) {
	dir := writeFiles(t, map[string][]byte{"log.1.0": realPlog(t)})
	d, err := format.OpenDir(vfs.OS, dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "log.2.9999"), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	reps, err := LogDirs([]DirSpec{{Path: dir, Kind: Plog, Dir: d}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(reps[0].Files) != 1 || !reps[0].OK {
		t.Fatalf("given listing: %d files, ok %v", len(reps[0].Files), reps[0].OK)
	}
	reps, err = LogDirs([]DirSpec{{Path: dir, Kind: Plog}}, Options{})
	if err != nil || len(reps[0].Files) != 2 {
		t.Fatalf("listed again: %v %d files", err, len(reps[0].Files))
	}
}
