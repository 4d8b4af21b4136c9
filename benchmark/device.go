package benchmark

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// DeviceUse is what the block devices holding the benchmark's dirs did
// while a mode ran, from the kernel's I/O accounting
// (/sys/dev/block/MAJ:MIN/stat, Documentation/block/stat.rst): requests as
// the device saw them, after the block layer merged them. It shows the
// physics behind a mode's qps: how many device writes and cache flushes
// each acknowledged write costs, and whether the device was ever idle.
type DeviceUse struct {
	Devices []string `json:"devices"`
	// Per acknowledged op: write requests, KiB written, cache flushes.
	Writes  float64 `json:"writes_per_op"`
	KiB     float64 `json:"kib_per_op"`
	Flushes float64 `json:"flushes_per_op"`
	// BusyPct is the share of the run during which the busiest device had
	// a request in flight (io_ticks).
	BusyPct float64 `json:"busy_pct"`
}

// devStat is one reading of a device's counters.
type devStat struct {
	writes, sectors, flushes, ioTicksMs int64
}

// devices returns the stat files of the block devices holding dirs; a dir
// on no block device (tmpfs) has none.
func devices(dirs []string) []string {
	var out []string
	for _, d := range dirs {
		var st unix.Stat_t
		if unix.Stat(d, &st) != nil {
			continue
		}
		p := fmt.Sprintf("/sys/dev/block/%d:%d/stat", unix.Major(st.Dev), unix.Minor(st.Dev))
		if _, err := os.Stat(p); err == nil && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func readDevStat(path string) (devStat, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return devStat{}, false
	}
	f := strings.Fields(string(b))
	if len(f) < 11 {
		return devStat{}, false
	}
	n := func(i int) int64 {
		if i >= len(f) {
			return 0 // kernels before 5.5 have no flush counters
		}
		v, _ := strconv.ParseInt(f[i], 10, 64)
		return v
	}
	// Fields 5, 7, 10 and 16 (1-based): write I/Os, write sectors,
	// io_ticks (ms), flush I/Os.
	return devStat{writes: n(4), sectors: n(6), ioTicksMs: n(9), flushes: n(15)}, true
}

// devSnapshot reads every device; the result is nil when none is readable.
type devSnapshot map[string]devStat

func snapshotDevices(paths []string) devSnapshot {
	s := devSnapshot{}
	for _, p := range paths {
		if st, ok := readDevStat(p); ok {
			s[p] = st
		}
	}
	if len(s) == 0 {
		return nil
	}
	return s
}

// use is the devices' work between before and s, per op.
func (s devSnapshot) use(before devSnapshot, ops int64, elapsed time.Duration) *DeviceUse {
	if s == nil || before == nil || ops <= 0 || elapsed <= 0 {
		return nil
	}
	u := &DeviceUse{}
	var writes, sectors, flushes int64
	for p, st := range s {
		b, ok := before[p]
		if !ok {
			continue
		}
		u.Devices = append(u.Devices, strings.TrimSuffix(strings.TrimPrefix(p, "/sys/dev/block/"), "/stat"))
		writes += st.writes - b.writes
		sectors += st.sectors - b.sectors
		flushes += st.flushes - b.flushes
		u.BusyPct = max(u.BusyPct, 100*float64(st.ioTicksMs-b.ioTicksMs)/float64(elapsed.Milliseconds()))
	}
	slices.Sort(u.Devices)
	u.Writes = float64(writes) / float64(ops)
	u.KiB = float64(sectors) * 512 / 1024 / float64(ops)
	u.Flushes = float64(flushes) / float64(ops)
	u.BusyPct = min(u.BusyPct, 100)
	return u
}
