package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/waltool/waltool/ops"
	"github.com/waltool/waltool/schema"
)

// bench write --json prints the report of the modes asked for, in order
// (benchmark's tests check what each mode measures).
func TestBenchWriteJSON(t *testing.T) {
	out, errOut, code := waltool(t, "bench", "write", "--json", "--duration", "50ms", "--replicas", "2", "--clients", "2",
		"--dirs", t.TempDir(), "--modes", "raw-fsync, shared-log")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep schema.BenchWrite
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(rep.Results) != 2 || rep.Results[0].Mode != "raw-fsync" || rep.Results[1].Mode != "shared-log" || rep.Config.Clients != 2 {
		t.Fatalf("%+v", rep)
	}
	if len(rep.Ratios) != 1 || rep.Ratios[0].Name != "shared-log/raw-fsync" {
		t.Fatalf("ratios %v", rep.Ratios)
	}
}

func TestBenchWriteTable(t *testing.T) {
	out, errOut, code := waltool(t, "bench", "write", "--duration", "100ms", "--replicas", "2", "--clients", "2",
		"--dirs", t.TempDir(), "--modes", "plog-parallel,shared-log", "--neighbour-mbps", "10")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"plog-parallel", "shared-log", "p9999", "qps plog-parallel/shared-log", "neighbour"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestBenchWriteRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--modes", "nope"}, {"--sync", "always"}, {"--flush", "msync"}, {"--clients", "0"},
	} {
		if _, _, code := waltool(t, append([]string{"bench", "write", "--dirs", t.TempDir()}, args...)...); code != ops.ExitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, ops.ExitUsage)
		}
	}
}
