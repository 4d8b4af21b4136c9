package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/waltool/waltool/schema"
)

// bench ceiling reads the same files as bench verify lists (every log
// file under PATH) and reports their bytes; --json gives bytes, seconds
// and bytes per second.
func TestBenchCeiling(t *testing.T) {
	m := genRoot(t, "")
	out, errOut, code := waltool(t, "bench", "ceiling", "--json", "--data-dirs", m.DataDirs, m.Root)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res schema.BenchCeiling
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	files := len(m.Slog.Files)
	for _, r := range m.Replicas {
		files += len(r.Plog.Files)
	}
	if res.FileCount != int64(files) || res.Bytes != m.Bytes || res.Seconds <= 0 || res.BytesPerSecond <= 0 {
		t.Fatalf("%+v: want %d files, %d bytes", res, files, m.Bytes)
	}
	out, _, code = waltool(t, "bench", "ceiling", m.Root)
	if code != 0 || !strings.Contains(out, "GiB/s") || !strings.Contains(out, " files, ") {
		t.Fatalf("exit %d: %s", code, out)
	}
	if _, _, code := waltool(t, "bench", "ceiling"); code != exitUsage {
		t.Fatalf("no PATH: exit %d", code)
	}
}
