package benchmark

import (
	"fmt"
	"io"
	"time"

	"golang.org/x/sys/unix"

	"github.com/waltool/waltool/internal/latency"
)

// The write benchmark reproduces, on one machine, the comparison published
// with Pegasus's shared-log removal (XiaoMi/rdsn#1019): durable 1000-byte
// writes from many clients to many replicas, through one shared log or
// through per-replica private logs. docs/writer.md has the model.

// WriteConfig is the workload, shared by every mode.
type WriteConfig struct {
	Replicas    int           `json:"replicas"`
	Clients     int           `json:"clients"`
	ValueSize   int           `json:"value_size"`
	Duration    time.Duration `json:"-"`
	Seconds     float64       `json:"duration_s"`
	Dirs        []string      `json:"dirs"`
	Sync        string        `json:"sync"`
	Flush       string        `json:"flush"`
	Parallelism int           `json:"parallelism"`
	Neighbour   int           `json:"neighbour_mbps,omitempty"`
	Writeback   bool          `json:"start_writeback,omitempty"`
	Preallocate bool          `json:"preallocate,omitempty"`
	Cores       int           `json:"cores"`
	Verify      bool          `json:"-"`
	Keep        bool          `json:"-"`
}

// Check rejects a workload no mode can run.
func (cfg WriteConfig) Check() error {
	if cfg.Replicas < 1 || cfg.Clients < 1 || cfg.ValueSize < 0 || cfg.Duration <= 0 {
		return fmt.Errorf("--replicas and --clients must be positive, --duration too")
	}
	if cfg.Sync != "none" && cfg.Sync != "batch" {
		return fmt.Errorf("--sync %q: want none or batch", cfg.Sync)
	}
	if cfg.Flush != "fdatasync" && cfg.Flush != "syncfs" {
		return fmt.Errorf("--flush %q: want fdatasync or syncfs", cfg.Flush)
	}
	if len(cfg.Dirs) == 0 {
		return fmt.Errorf("no dirs")
	}
	return nil
}

// WriteResult is what one mode measured.
type WriteResult struct {
	Mode    string     `json:"mode"`
	Streams int        `json:"streams"` // files written concurrently: 1 for the shared log
	Clients int        `json:"clients"`
	Sync    string     `json:"sync"`
	Flush   string     `json:"flush,omitempty"`
	Ops     int64      `json:"ops"`
	Seconds float64    `json:"seconds"`
	QPS     float64    `json:"qps"`
	Lat     latency.US `json:"lat_us"`
	// Writes and Syncs count write(2) batches and flush calls (fdatasync,
	// fsync, syncfs), where the mode can tell: ops per sync is the batching.
	Writes int64 `json:"writes,omitempty"`
	Syncs  int64 `json:"syncs,omitempty"`
	Bytes  int64 `json:"bytes,omitempty"`
	// Rounds are plog-parallel's flush rounds (each may make several sync
	// calls), and Round the mean time of a round's phases in µs: waiting
	// for requests, writing them, flushing.
	Rounds int64       `json:"rounds,omitempty"`
	Round  *RoundTimes `json:"round_us,omitempty"`
	// Device is the disks' work per op while the mode ran.
	Device  *DeviceUse `json:"device,omitempty"`
	Skipped string     `json:"skipped,omitempty"`
}

// RoundTimes are the mean phases of a flush round, in µs.
type RoundTimes struct {
	Settle float64 `json:"settle"`
	Write  float64 `json:"write"`
	Flush  float64 `json:"flush"`
}

// WriteReport is a run of several modes on one workload.
type WriteReport struct {
	Config  WriteConfig   `json:"config"`
	Results []WriteResult `json:"results"`
	// Ratios are qps ratios "a/b" between the modes run.
	Ratios map[string]float64 `json:"ratios"`
}

// A WriteMode is one way of writing the workload: it runs cfg for
// cfg.Duration (with cfg.Clients clients unless it says otherwise) in
// fresh files and reports what it measured.
type WriteMode interface {
	Name() string
	Run(cfg WriteConfig) (WriteResult, error)
}

// WriteModes are the modes, in the default order; etcd is the etcd-wal
// mode's setup.
func WriteModes(etcd EtcdWAL) []WriteMode {
	return []WriteMode{SharedLog{}, PlogPerFile{}, PlogParallel{}, RawRounds{}, RawFsync{}, etcd}
}

// ratioPairs are the qps ratios a report gives, when both modes ran.
var ratioPairs = [][2]string{
	{"plog-parallel", "plog-per-file"}, {"plog-parallel", "shared-log"}, {"plog-parallel", "etcd-wal"},
	{"plog-per-file", "shared-log"}, {"shared-log", "raw-fsync"}, {"plog-parallel", "raw-fsync"},
	{"plog-parallel", "raw-rounds"}, {"raw-rounds", "shared-log"},
}

// RunWrite runs modes one after the other on cfg, each with the neighbour
// load if cfg asks for one; progress, if not nil, is told of each mode
// before it starts.
func RunWrite(cfg WriteConfig, modes []WriteMode, progress io.Writer) (WriteReport, error) {
	rep := WriteReport{Config: cfg, Ratios: map[string]float64{}}
	if err := cfg.Check(); err != nil {
		return rep, err
	}
	for _, m := range modes {
		if progress != nil {
			fmt.Fprintf(progress, "running %s for %s...\n", m.Name(), cfg.Duration)
		}
		stopNeighbour := startNeighbour(cfg)
		res, err := m.Run(cfg)
		if nerr := stopNeighbour(); err == nil {
			err = nerr
		}
		if err != nil {
			return rep, fmt.Errorf("%s: %w", m.Name(), err)
		}
		rep.Results = append(rep.Results, res)
	}
	qps := map[string]float64{}
	for _, r := range rep.Results {
		if r.Skipped == "" {
			qps[r.Mode] = r.QPS
		}
	}
	for _, pair := range ratioPairs {
		if a, b := qps[pair[0]], qps[pair[1]]; a > 0 && b > 0 {
			rep.Ratios[pair[0]+"/"+pair[1]] = a / b
		}
	}
	return rep, nil
}

// OnTmpfs reports whether dir is on a tmpfs, where flushes cost nothing.
func OnTmpfs(dir string) bool {
	var st unix.Statfs_t
	return unix.Statfs(dir, &st) == nil && st.Type == unix.TMPFS_MAGIC
}
