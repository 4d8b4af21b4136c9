package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// bench ceiling reads the same files as bench verify lists (every log
// file under PATH) and reports their bytes; --json gives bytes, seconds
// and GB/s.
func TestBenchCeiling(t *testing.T) {
	m := genRoot(t, "")
	out, errOut, code := waltool(t, "bench", "ceiling", "--json", "--data-dirs", m.DataDirs, m.Root)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var res struct {
		Files   int     `json:"files"`
		Bytes   int64   `json:"bytes"`
		Seconds float64 `json:"seconds"`
		GBps    float64 `json:"gbps"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	files := len(m.Slog.Files)
	for _, r := range m.Replicas {
		files += len(r.Plog.Files)
	}
	if res.Files != files || res.Bytes != m.Bytes || res.Seconds <= 0 || res.GBps <= 0 {
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
