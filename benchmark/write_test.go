package benchmark

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// Every in-process mode runs on a small workload, verifies what it wrote,
// and reports the fields scripts rely on. No timing is asserted: the
// numbers are the benchmark's output, not a property.
func TestRunWriteEveryMode(t *testing.T) {
	for _, sync := range []string{"batch", "none"} {
		t.Run(sync, func(t *testing.T) {
			cfg := WriteConfig{
				Replicas: 4, Clients: 3, ValueSize: 100, Duration: 150 * time.Millisecond, Dirs: []string{t.TempDir()},
				Sync: sync, Flush: "syncfs", Parallelism: 8, Writeback: true, Preallocate: true, Cores: runtime.GOMAXPROCS(0), Verify: true,
			}
			modes := WriteModes(EtcdWAL{})[:5] // etcd-wal needs the bench/ module built
			rep, err := RunWrite(cfg, modes, nil)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, r := range rep.Results {
				names = append(names, r.Mode)
				if r.Ops <= 0 || r.QPS <= 0 || r.Lat.P50 <= 0 || r.Lat.P9999 < r.Lat.P50 || r.Sync != sync || r.Clients != 3 {
					t.Errorf("%s: %+v", r.Mode, r)
				}
				// Where the dir is on a block device (not a tmpfs), its
				// counters say what the mode cost it.
				if d := r.Device; d != nil && (len(d.Devices) == 0 || d.Writes < 0 || d.KiB < 0 || d.BusyPct < 0 || d.BusyPct > 100) {
					t.Errorf("%s: device use %+v", r.Mode, d)
				}
			}
			if strings.Join(names, ",") != "shared-log,plog-per-file,plog-parallel,raw-rounds,raw-fsync" {
				t.Fatalf("modes %v", names)
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
