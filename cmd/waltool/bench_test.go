package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/waltool/waltool/ops"
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
	if _, _, code := waltool(t, "bench", "ceiling"); code != ops.ExitUsage {
		t.Fatalf("no PATH: exit %d", code)
	}
}

// bench verify and bench replay time this executable as a child: in the
// test, the test binary run as waltool (TestMain, WALTOOL_MAIN=1). Their
// documents keep the contract (checkContract).
func TestBenchChildrenJSON(t *testing.T) {
	t.Setenv("WALTOOL_MAIN", "1")
	m := genRoot(t, "")
	out, errs, code := waltool(t, "bench", "verify", "--json", "--runs", "1", "--data-dirs", m.DataDirs, m.Root)
	var v schema.BenchVerify
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != 0 || v.VerifyBytesPerSecond <= 0 || v.VerifyExitStatus != 0 {
		t.Fatalf("bench verify: exit %d, %v: %s%s", code, err, out, errs)
	}
	out, errs, code = waltool(t, "bench", "replay", "--json", "--runs", "1", "--data-dirs", m.DataDirs, m.Root)
	var r schema.BenchReplay
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != 0 || r.MutationsRead == 0 || r.MaxRSSBytes == 0 {
		t.Fatalf("bench replay: exit %d, %v: %s%s", code, err, out, errs)
	}
}
