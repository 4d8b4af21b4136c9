package benchmark

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"syscall"
	"time"

	"github.com/waltool/waltool/format"
)

// exitUsage is waltool's exit status for bad arguments and I/O errors: a
// child that exits with it measured nothing.
const exitUsage = 2

// Child is one run of a child process.
type Child struct {
	Elapsed time.Duration
	MaxRSS  int64 // bytes
	Exit    int
	Stdout  []byte
}

// RunChild runs exe with args, so that its time and peak RSS are its own.
// An exit status of 2 (waltool's usage or I/O error) is an error.
func RunChild(exe string, args ...string) (Child, error) {
	cmd := exec.Command(exe, args...)
	var out bytes.Buffer
	cmd.Stdout = &out
	start := time.Now()
	err := cmd.Run()
	ch := Child{Elapsed: time.Since(start)}
	if ee, ok := err.(*exec.ExitError); ok {
		ch.Exit = ee.ExitCode()
	} else if err != nil {
		return Child{}, err
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		ch.MaxRSS = ru.Maxrss * 1024 // Linux reports KiB
	}
	if ch.Exit == exitUsage {
		return Child{}, fmt.Errorf("%s child exited %d", args[0], ch.Exit)
	}
	ch.Stdout = out.Bytes()
	return ch, nil
}

// Target is what bench verify and bench replay time: a waltool executable
// run as a child process on Path.
type Target struct {
	Exe   string   // the waltool executable (os.Executable for the running one)
	Path  string   // the PATH or ROOT argument
	Flags []string // passed to every child before Path (--slog-dir, --data-dirs)
	Runs  int      // runs of each measurement; the best is kept
}

func (t Target) run(args ...string) (Child, error) {
	args = append(append(args, t.Flags...), t.Path)
	return RunChild(t.Exe, args...)
}

// best runs f t.Runs times (at least once) and keeps the shortest time.
func (t Target) best(f func() (time.Duration, error)) (time.Duration, error) {
	var b time.Duration
	for i := 0; i < max(1, t.Runs); i++ {
		d, err := f()
		if err != nil {
			return 0, err
		}
		if b == 0 || d < b {
			b = d
		}
	}
	return b, nil
}

// VerifyResult compares `waltool verify` with reading the same bytes.
type VerifyResult struct {
	Path           string  `json:"path"`
	Files          int     `json:"files"`
	Bytes          int64   `json:"bytes"`
	Cores          int     `json:"cores"`
	ReadGBps       float64 `json:"read_gbps"`         // read only, all cores: the cached-read ceiling
	CRC1GBps       float64 `json:"crc32c_1core_gbps"` // read + CRC-32C, one core
	CRCGBps        float64 `json:"crc32c_gbps"`       // read + CRC-32C, all cores (as verify uses)
	VerifyGBps     float64 `json:"verify_gbps"`       // the waltool verify command, end to end
	VerifyVsCRC    float64 `json:"verify_vs_crc32c"`  // VerifyGBps / CRCGBps
	VerifyMaxRSSMB float64 `json:"verify_max_rss_mib"`
	VerifyExit     int     `json:"verify_exit"`
}

// Verify times, on files (the log files of t.Path) and on cores cores:
// plain reads, read + CRC-32C on one core and on all cores (the ceiling),
// and `waltool verify` in a child process. The first pass also warms the
// page cache: the benchmark is of a cached root, so that CPU work, not the
// disk, is what is compared.
func (t Target) Verify(files []format.LogFile, cores int) (VerifyResult, error) {
	res := VerifyResult{Path: t.Path, Files: len(files), Bytes: TotalBytes(files), Cores: cores}
	d, err := t.best(func() (time.Duration, error) { return ReadAll(files, cores, false) })
	if err != nil {
		return res, err
	}
	res.ReadGBps = GBps(res.Bytes, d)
	if d, err = t.best(func() (time.Duration, error) { return ReadAll(files, 1, true) }); err != nil {
		return res, err
	}
	res.CRC1GBps = GBps(res.Bytes, d)
	if d, err = t.best(func() (time.Duration, error) { return ReadAll(files, cores, true) }); err != nil {
		return res, err
	}
	res.CRCGBps = GBps(res.Bytes, d)
	var rss int64
	d, err = t.best(func() (time.Duration, error) {
		ch, err := t.run("verify", "--json", "--progress=false")
		rss = max(rss, ch.MaxRSS)
		res.VerifyExit = ch.Exit
		return ch.Elapsed, err
	})
	if err != nil {
		return res, err
	}
	res.VerifyGBps = GBps(res.Bytes, d)
	res.VerifyVsCRC = res.VerifyGBps / res.CRCGBps
	res.VerifyMaxRSSMB = float64(rss) / (1 << 20)
	return res, nil
}

// ReplayResult is `waltool replay` timed end to end.
type ReplayResult struct {
	Path          string  `json:"path"`
	ServerVersion string  `json:"server_version"`
	MutationsRead int64   `json:"mutations_read"`
	Seconds       float64 `json:"seconds"`
	MutationsPerS float64 `json:"mutations_per_second"`
	MaxRSSMB      float64 `json:"max_rss_mib"`
	Exit          int     `json:"exit"`
}

// Replay times `waltool replay --server-version serverVersion` (with
// --durable-decrees if given) in a child process.
func (t Target) Replay(serverVersion, durableDecrees string) (ReplayResult, error) {
	res := ReplayResult{Path: t.Path, ServerVersion: serverVersion}
	best, err := t.best(func() (time.Duration, error) {
		args := []string{"replay", "--json", "--server-version", serverVersion}
		if durableDecrees != "" {
			args = append(args, "--durable-decrees", durableDecrees)
		}
		ch, err := t.run(args...)
		if err != nil {
			return 0, err
		}
		var r struct {
			MutationsRead int64 `json:"mutations_read"`
		}
		if err := json.Unmarshal(ch.Stdout, &r); err != nil {
			return 0, fmt.Errorf("replay output: %w", err)
		}
		res.MutationsRead, res.Exit = r.MutationsRead, ch.Exit
		res.MaxRSSMB = max(res.MaxRSSMB, float64(ch.MaxRSS)/(1<<20))
		return ch.Elapsed, nil
	})
	if err != nil {
		return res, err
	}
	res.Seconds = best.Seconds()
	res.MutationsPerS = float64(res.MutationsRead) / res.Seconds
	return res, nil
}
