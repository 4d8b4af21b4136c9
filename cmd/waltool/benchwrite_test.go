package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// bench write runs every in-process mode on a small workload, verifies
// what it wrote, and reports the JSON fields scripts rely on. No timing is
// asserted: the numbers are the benchmark's output, not a property.
func TestBenchWriteReportsEveryMode(t *testing.T) {
	for _, sync := range []string{"batch", "none"} {
		t.Run(sync, func(t *testing.T) {
			dir := t.TempDir()
			out, errOut, code := waltool(t, "bench", "write", "--json", "--verify",
				"--duration", "150ms", "--replicas", "4", "--clients", "3", "--value-size", "100",
				"--dirs", dir, "--sync", sync, "--modes", "shared-log,plog-per-file,plog-parallel,raw-rounds,raw-fsync")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var rep benchWriteReport
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			var modes []string
			for _, r := range rep.Results {
				modes = append(modes, r.Mode)
				if r.Ops <= 0 || r.QPS <= 0 || r.Lat.P50 <= 0 || r.Lat.P9999 < r.Lat.P50 || r.Sync != sync || r.Clients != 3 {
					t.Errorf("%s: %+v", r.Mode, r)
				}
				// Where the dir is on a block device (not a tmpfs), its
				// counters say what the mode cost it.
				if d := r.Device; d != nil && (len(d.Devices) == 0 || d.Writes < 0 || d.KiB < 0 || d.BusyPct < 0 || d.BusyPct > 100) {
					t.Errorf("%s: device use %+v", r.Mode, d)
				}
			}
			if strings.Join(modes, ",") != "shared-log,plog-per-file,plog-parallel,raw-rounds,raw-fsync" {
				t.Fatalf("modes %v", modes)
			}
			if _, ok := rep.Ratios["plog-parallel/raw-rounds"]; !ok {
				t.Fatalf("ratios %v", rep.Ratios)
			}
			if _, ok := rep.Ratios["plog-parallel/shared-log"]; !ok {
				t.Fatalf("ratios %v", rep.Ratios)
			}
		})
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
		if _, _, code := waltool(t, append([]string{"bench", "write", "--dirs", t.TempDir()}, args...)...); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
	}
}
