package benchmark

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The device counters are read from the fields the kernel documents
// (Documentation/block/stat.rst): write I/Os, write sectors, io_ticks and
// flush I/Os, and reported per op.
func TestDeviceUseFromKernelCounters(t *testing.T) {
	p := filepath.Join(t.TempDir(), "stat")
	write := func(s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	//     reads merges sectors ticks writes merges sectors ticks inflight io_ticks queue discards... flushes ticks
	write("   10 0 80 5   1000 50 16000 900   0 400 1000   0 0 0 0   100 30\n")
	before := snapshotDevices([]string{p})
	write("   10 0 80 5   1900 60 24000 990   1 1400 2000   0 0 0 0   120 40\n")
	after := snapshotDevices([]string{p})
	u := after.use(before, 100, 2*time.Second)
	if u == nil {
		t.Fatal("no device use")
	}
	if u.Writes != 9 || u.KiB != 40 || u.Flushes != 0.2 || u.BusyPct != 50 {
		t.Fatalf("%+v: want 9 writes, 40 KiB, 0.2 flushes per op, busy 50%%", *u)
	}
	// Kernels before 5.5 have no flush counters.
	write("1 2 3 4 5 6 7 8 9 10 11\n")
	if st, ok := readDevStat(p); !ok || st.writes != 5 || st.flushes != 0 {
		t.Fatalf("11-field stat: %+v %v", st, ok)
	}
	if snapshotDevices([]string{filepath.Join(t.TempDir(), "none")}) != nil {
		t.Fatal("a missing stat file gives a snapshot")
	}
}
