package benchmark

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/waltool/waltool/format"
)

// The ceiling reads every byte of every file (and fails on a file it
// cannot read).
func TestMeasureCeiling(t *testing.T) {
	dir := t.TempDir()
	var files []format.LogFile
	for i, size := range []int{0, 1, 3 << 20} {
		p := filepath.Join(dir, format.FileName(int32(i+1), 0))
		if err := os.WriteFile(p, make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, format.LogFile{Path: p, Index: int32(i + 1), Size: int64(size)})
	}
	c, err := MeasureCeiling(files, 2)
	if err != nil {
		t.Fatal(err)
	}
	if c.Files != 3 || c.Bytes != 3<<20+1 || c.Cores != 2 || c.Seconds <= 0 || c.GBps <= 0 {
		t.Fatalf("%+v", c)
	}
	files = append(files, format.LogFile{Path: filepath.Join(dir, "log.9.0")})
	if _, err := MeasureCeiling(files, 2); err == nil {
		t.Fatal("a missing file was not an error")
	}
}
