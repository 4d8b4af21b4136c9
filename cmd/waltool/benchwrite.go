package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/waltool/waltool/internal/latency"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/sys/unix"

	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/format/plog"
	"github.com/waltool/waltool/format/rrdb"
	"github.com/waltool/waltool/format/slog"
	"github.com/waltool/waltool/verify"
	"github.com/waltool/waltool/vfs"
)

// The write benchmark reproduces, on one machine, the comparison published
// with Pegasus's shared-log removal (XiaoMi/rdsn#1019): durable 1000-byte
// writes from many clients to many replicas, through one shared log or
// through per-replica private logs. docs/writer.md has the model.

var benchWriteModes = []string{"shared-log", "plog-per-file", "plog-parallel", "raw-rounds", "raw-fsync", "etcd-wal"}

func benchWriteCommand() *cli.Command {
	return &cli.Command{
		Name:  "write",
		Usage: "durable write throughput and latency: one shared log vs per-replica plogs vs the parallel plog writer",
		Description: "Modes:\n" +
			"  shared-log     one shared log, all replicas interleaved, one writer with group commit (Pegasus 2.3)\n" +
			"  plog-per-file  one plog per replica, each writing and syncing on its own (Pegasus 2.4+, plog_force_flush=true)\n" +
			"  plog-parallel  format/plog: per-replica plogs, group commit per stream and one flush round per disk\n" +
			"  raw-rounds     plog-parallel's I/O alone (the same files, writes and flush rounds, back to back, no writer,\n" +
			"                 no clients): the ceiling of per-replica plogs flushed in shared rounds on these disks\n" +
			"  raw-fsync      one goroutine per client appending 4 KiB and fdatasyncing its own file: the device ceiling\n" +
			"  etcd-wal       go.etcd.io/etcd/server/v3/storage/wal, one WAL per replica (built from the bench/ module)\n" +
			"Files go to a fresh directory under each of --dirs and are removed afterwards (unless --keep).\n" +
			"Use a directory on the disk under test: a tmpfs makes every flush free.",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "replicas", Value: 64, Usage: "replicas (plogs); each write goes to one chosen at random"},
			&cli.IntFlag{Name: "clients", Value: 32, Usage: "concurrent clients, each with one write outstanding"},
			&cli.IntFlag{Name: "value-size", Value: 1000, Usage: "bytes of each PUT's value (the Pegasus benchmark used 1000)"},
			&cli.DurationFlag{Name: "duration", Value: 10 * time.Second, Usage: "how long each mode runs"},
			&cli.StringFlag{Name: "dirs", Usage: "comma-separated directories, one per disk; replicas are spread over them (default: the system temp dir)"},
			&cli.StringFlag{Name: "sync", Value: "batch", Usage: "none (Pegasus's default, plog_force_flush=false) or batch (durable before the ack)"},
			&cli.StringFlag{Name: "modes", Value: "shared-log,plog-per-file,plog-parallel,raw-rounds,raw-fsync,etcd-wal", Usage: "modes to run, in order"},
			&cli.StringFlag{Name: "flush", Value: "syncfs", Usage: "plog-parallel flush round: syncfs (one per disk; best on a disk of its own) or fdatasync (one per written file, concurrently; touches nothing else)"},
			&cli.BoolFlag{Name: "start-writeback", Value: true, Usage: "plog-parallel: start each batch's writeback right after its write (sync_file_range); --start-writeback=false to compare"},
			&cli.IntFlag{Name: "parallelism", Value: 8, Usage: "plog-parallel: concurrent writes and fdatasyncs per disk"},
			&cli.BoolFlag{Name: "preallocate", Value: true, Usage: "plog-parallel: reserve each plog file's blocks when it is created (fallocate KEEP_SIZE); --preallocate=false to compare"},
			&cli.IntFlag{Name: "neighbour-mbps", Usage: "also write this many MB/s of buffered, unsynced data to the first dir during each mode, as RocksDB flushes and compactions do on a shared disk"},
			&cli.StringFlag{Name: "etcd-bin", Usage: "the bench/ module's etcdwal binary (default: built from bench/ if the source is found)"},
			&cli.BoolFlag{Name: "verify", Usage: "verify every log written (waltool verify rules) before removing it"},
			&cli.BoolFlag{Name: "keep", Usage: "keep the files written"},
			&cli.BoolFlag{Name: "json", Usage: "print the results as JSON"},
		},
		Action: benchWrite,
	}
}

// benchWriteConfig is the workload, shared by every mode.
type benchWriteConfig struct {
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

type benchWriteResult struct {
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
	Round  *roundTimes `json:"round_us,omitempty"`
	// Device is the disks' work per op while the mode ran.
	Device  *deviceUse `json:"device,omitempty"`
	Skipped string     `json:"skipped,omitempty"`
}

type roundTimes struct {
	Settle float64 `json:"settle"`
	Write  float64 `json:"write"`
	Flush  float64 `json:"flush"`
}

type benchWriteReport struct {
	Config  benchWriteConfig   `json:"config"`
	Results []benchWriteResult `json:"results"`
	// Ratios are qps ratios "a/b" between the modes run.
	Ratios map[string]float64 `json:"ratios"`
}

func benchWrite(c *cli.Context) error {
	cfg := benchWriteConfig{
		Replicas: c.Int("replicas"), Clients: c.Int("clients"), ValueSize: c.Int("value-size"),
		Duration: c.Duration("duration"), Sync: c.String("sync"), Flush: c.String("flush"),
		Parallelism: c.Int("parallelism"), Neighbour: c.Int("neighbour-mbps"), Writeback: c.Bool("start-writeback"), Preallocate: c.Bool("preallocate"), Cores: runtime.GOMAXPROCS(0), Verify: c.Bool("verify"), Keep: c.Bool("keep"),
	}
	cfg.Seconds = cfg.Duration.Seconds()
	if cfg.Replicas < 1 || cfg.Clients < 1 || cfg.ValueSize < 0 || cfg.Duration <= 0 {
		return fmt.Errorf("bench write: --replicas and --clients must be positive, --duration too")
	}
	if cfg.Sync != "none" && cfg.Sync != "batch" {
		return fmt.Errorf("bench write: --sync %q: want none or batch", cfg.Sync)
	}
	if cfg.Flush != "fdatasync" && cfg.Flush != "syncfs" {
		return fmt.Errorf("bench write: --flush %q: want fdatasync or syncfs", cfg.Flush)
	}
	for _, d := range strings.Split(c.String("dirs"), ",") {
		if d = strings.TrimSpace(d); d != "" {
			cfg.Dirs = append(cfg.Dirs, d)
		}
	}
	if len(cfg.Dirs) == 0 {
		cfg.Dirs = []string{os.TempDir()}
	}
	var modes []string
	for _, m := range strings.Split(c.String("modes"), ",") {
		m = strings.TrimSpace(m)
		if m == "" {
			continue
		}
		if !slices.Contains(benchWriteModes, m) {
			return fmt.Errorf("bench write: unknown mode %q (modes: %s)", m, strings.Join(benchWriteModes, ", "))
		}
		modes = append(modes, m)
	}
	for _, d := range cfg.Dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		var st unix.Statfs_t
		if unix.Statfs(d, &st) == nil && st.Type == unix.TMPFS_MAGIC {
			fmt.Fprintf(c.App.ErrWriter, "waltool: warning: %s is a tmpfs: flushes cost nothing there\n", d)
		}
	}
	rep := benchWriteReport{Config: cfg, Ratios: map[string]float64{}}
	for _, mode := range modes {
		if !c.Bool("json") {
			fmt.Fprintf(c.App.ErrWriter, "running %s for %s...\n", mode, cfg.Duration)
		}
		var res benchWriteResult
		var err error
		stopNeighbour := startNeighbour(cfg)
		if mode == "etcd-wal" {
			res, err = runEtcdWAL(c, cfg)
		} else {
			res, err = runWriteMode(mode, cfg)
		}
		if nerr := stopNeighbour(); err == nil {
			err = nerr
		}
		if err != nil {
			return fmt.Errorf("bench write: %s: %w", mode, err)
		}
		rep.Results = append(rep.Results, res)
	}
	qps := map[string]float64{}
	for _, r := range rep.Results {
		if r.Skipped == "" {
			qps[r.Mode] = r.QPS
		}
	}
	for _, pair := range [][2]string{
		{"plog-parallel", "plog-per-file"}, {"plog-parallel", "shared-log"}, {"plog-parallel", "etcd-wal"},
		{"plog-per-file", "shared-log"}, {"shared-log", "raw-fsync"}, {"plog-parallel", "raw-fsync"},
		{"plog-parallel", "raw-rounds"}, {"raw-rounds", "shared-log"},
	} {
		if a, b := qps[pair[0]], qps[pair[1]]; a > 0 && b > 0 {
			rep.Ratios[pair[0]+"/"+pair[1]] = a / b
		}
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printBenchWrite(c.App.Writer, rep)
	return nil
}

func printBenchWrite(w io.Writer, rep benchWriteReport) {
	cfg := rep.Config
	fmt.Fprintf(w, "%d clients, %d replicas, %d-byte values, sync=%s, %s per mode, %d cores, dirs %s\n",
		cfg.Clients, cfg.Replicas, cfg.ValueSize, cfg.Sync, cfg.Duration, cfg.Cores, strings.Join(cfg.Dirs, ","))
	if cfg.Neighbour > 0 {
		fmt.Fprintf(w, "with a neighbour writing %d MB/s of unsynced data to %s\n", cfg.Neighbour, cfg.Dirs[0])
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "mode\tstreams\tqps\tavg µs\tp50\tp95\tp99\tp999\tp9999\tops/flush\t")
	for _, r := range rep.Results {
		if r.Skipped != "" {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t-\t-\t-\t-\t\n", r.Mode)
			continue
		}
		// Ops per sync call for the logs, per flush round for the plog
		// writer (whose round may make several calls).
		perSync := "-"
		if r.Rounds > 0 {
			perSync = fmt.Sprintf("%.1f", float64(r.Ops)/float64(r.Rounds))
		} else if r.Syncs > 0 {
			perSync = fmt.Sprintf("%.1f", float64(r.Ops)/float64(r.Syncs))
		}
		l := r.Lat
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%s\t\n",
			r.Mode, r.Streams, r.QPS, l.Avg, l.P50, l.P95, l.P99, l.P999, l.P9999, perSync)
	}
	tw.Flush()
	for _, r := range rep.Results {
		if d := r.Device; d != nil {
			fmt.Fprintf(w, "%s: device %s: %.2f writes, %.1f KiB, %.3f flushes per op; busy %.0f%% of the time\n",
				r.Mode, strings.Join(d.Devices, ","), d.Writes, d.KiB, d.Flushes, d.BusyPct)
		}
	}
	for _, r := range rep.Results {
		if r.Round != nil {
			fmt.Fprintf(w, "%s: per round %.0f µs waiting for requests, %.0f µs writing, %.0f µs flushing\n",
				r.Mode, r.Round.Settle, r.Round.Write, r.Round.Flush)
		}
	}
	for _, r := range rep.Results {
		if r.Skipped != "" {
			fmt.Fprintf(w, "%s skipped: %s\n", r.Mode, r.Skipped)
		}
	}
	keys := make([]string, 0, len(rep.Ratios))
	for k := range rep.Ratios {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "qps %-28s %.2f\n", k, rep.Ratios[k])
	}
}

// recorder collects one client's latencies.
type recorder struct {
	lat []int64 // ns
}

// load is what one run of the workload measured.
type load struct {
	recs          []*recorder
	elapsed       time.Duration
	before, after devSnapshot // the disks' counters around the run
}

func summarize(mode string, cfg benchWriteConfig, ld load) benchWriteResult {
	var all []int64
	for _, r := range ld.recs {
		all = append(all, r.lat...)
	}
	res := benchWriteResult{Mode: mode, Clients: cfg.Clients, Sync: cfg.Sync, Ops: int64(len(all)), Seconds: ld.elapsed.Seconds()}
	res.QPS = float64(res.Ops) / ld.elapsed.Seconds()
	res.Lat = latency.Of(all)
	res.Device = ld.after.use(ld.before, res.Ops, ld.elapsed)
	return res
}

// workload runs cfg.Clients clients for cfg.Duration; each op picks a
// replica at random and calls do with a PUT mutation of that replica (the
// mutation and its data are the client's own and reused after do
// returns).
func workload(cfg benchWriteConfig, do func(client int, g format.Gpid, m *format.Mutation) error) (load, error) {
	recs := make([]*recorder, cfg.Clients)
	devs := devices(cfg.Dirs)
	before := snapshotDevices(devs)
	var decrees = make([]atomic.Int64, cfg.Replicas)
	var stop atomic.Bool
	var firstErr atomic.Pointer[error]
	var wg sync.WaitGroup
	start := time.Now()
	for c := range cfg.Clients {
		recs[c] = &recorder{lat: make([]int64, 0, 1<<14)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 42))
			value := bytes.Repeat([]byte{'v'}, cfg.ValueSize)
			data := rrdb.EncodePut(rrdb.Put{HashKey: []byte(fmt.Sprintf("client%06d", c)), SortKey: []byte("sortkey0"), Value: value}, 0)
			m := &format.Mutation{Ballot: 1, Updates: []format.Update{{Code: "RPC_RRDB_RRDB_PUT", SerializationType: 1, Data: data}}}
			for !stop.Load() {
				r := rng.IntN(cfg.Replicas)
				g := format.Gpid{App: 1, Partition: int32(r)}
				d := decrees[r].Add(1)
				m.Gpid, m.Decree, m.LastCommittedDecree, m.Timestamp = g, d, d-1, time.Now().UnixMicro()
				t0 := time.Now()
				if err := do(c, g, m); err != nil {
					firstErr.CompareAndSwap(nil, &err)
					stop.Store(true)
					return
				}
				recs[c].lat = append(recs[c].lat, int64(time.Since(t0)))
			}
		}()
	}
	time.Sleep(cfg.Duration)
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(start)
	after := snapshotDevices(devs)
	if p := firstErr.Load(); p != nil {
		return load{}, *p
	}
	return load{recs: recs, elapsed: elapsed, before: before, after: after}, nil
}

// countingFile counts the syncs of a file written by format.LogWriter.
// Its Sync is fsync, as Pegasus's log_file::flush (rdsn's file::flush calls
// fsync, not fdatasync).
type countingFile struct {
	vfs.File
	syncs *atomic.Int64
}

func (f countingFile) Sync() error {
	f.syncs.Add(1)
	if fs, ok := f.File.(interface{ Fsync() error }); ok {
		return fs.Fsync()
	}
	return f.File.Sync()
}

// countingFS creates countingFiles.
type countingFS struct {
	vfs.FS
	syncs *atomic.Int64
}

func (c countingFS) Create(path string) (vfs.File, error) {
	f, err := c.FS.Create(path)
	if err != nil {
		return nil, err
	}
	return countingFile{f, c.syncs}, nil
}

func gpidOf(r int) format.Gpid { return format.Gpid{App: 1, Partition: int32(r)} }

// runWriteMode runs one in-process mode in fresh directories.
func runWriteMode(mode string, cfg benchWriteConfig) (benchWriteResult, error) {
	var runDirs []string
	for _, d := range cfg.Dirs {
		rd, err := os.MkdirTemp(d, "waltool-bench-"+mode+"-")
		if err != nil {
			return benchWriteResult{}, err
		}
		runDirs = append(runDirs, rd)
	}
	defer func() {
		if !cfg.Keep {
			for _, rd := range runDirs {
				os.RemoveAll(rd)
			}
		}
		// Leave no dirty pages behind for the next mode to flush.
		unix.Sync()
	}()
	// Start from a quiet disk.
	unix.Sync()
	plogDir := func(r int) string {
		return filepath.Join(runDirs[r%len(runDirs)], "reps", fmt.Sprintf("1.%d.pegasus", r), "plog")
	}
	sync := cfg.Sync == "batch"
	var res benchWriteResult
	var specs []verify.DirSpec
	switch mode {
	case "shared-log":
		// Pegasus 2.3: every replica registered in one shared log, whose
		// headers list them all; one writer, one outstanding write.
		dir := filepath.Join(runDirs[0], "slog")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return res, err
		}
		var infos []format.ReplicaLogInfo
		for r := range cfg.Replicas {
			infos = append(infos, format.ReplicaLogInfo{Gpid: gpidOf(r)})
		}
		var syncs atomic.Int64
		lw := slog.NewWriter(dir, 0, 0, infos, format.WriterOptions{Sync: sync, FS: countingFS{vfs.OS, &syncs}})
		ld, err := workload(cfg, func(_ int, _ format.Gpid, m *format.Mutation) error { return lw.Append(m) })
		if err != nil {
			return res, err
		}
		if err := lw.Close(); err != nil {
			return res, err
		}
		res = summarize(mode, cfg, ld)
		res.Streams, res.Writes, res.Syncs, res.Bytes = 1, lw.Writes(), syncs.Load(), lw.EndOffset()
		specs = append(specs, verify.DirSpec{Path: dir, Kind: verify.Slog})

	case "plog-per-file":
		// Pegasus 2.4+ with plog_force_flush=true: each replica's
		// mutation_log_private writes its pending batch and fsyncs it, on
		// its own, one outstanding write per log.
		var syncs atomic.Int64
		// Its append path is the shared log's (one outstanding write, a
		// pending batch): a slog.Writer with its replica alone registered,
		// fed its mutations alone, writes exactly its plog.
		lws := make([]*slog.Writer, cfg.Replicas)
		for r := range cfg.Replicas {
			dir := plogDir(r)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return res, err
			}
			lws[r] = slog.NewWriter(dir, 0, 0, []format.ReplicaLogInfo{{Gpid: gpidOf(r)}}, format.WriterOptions{Sync: sync, FS: countingFS{vfs.OS, &syncs}})
		}
		ld, err := workload(cfg, func(_ int, g format.Gpid, m *format.Mutation) error {
			return lws[g.Partition].Append(m)
		})
		if err != nil {
			return res, err
		}
		res = summarize(mode, cfg, ld)
		res.Streams, res.Syncs = cfg.Replicas, syncs.Load()
		for r, lw := range lws {
			if err := lw.Close(); err != nil {
				return res, err
			}
			res.Writes += lw.Writes()
			res.Bytes += lw.EndOffset()
			g := gpidOf(r)
			specs = append(specs, verify.DirSpec{Path: plogDir(r), Kind: verify.Plog, Owner: &g})
		}

	case "plog-parallel":
		opts := plog.Options{Sync: plog.SyncNone, DiskParallelism: cfg.Parallelism, StartWriteback: cfg.Writeback, Preallocate: cfg.Preallocate}
		if sync {
			opts.Sync = plog.SyncBatch
		}
		if cfg.Flush == "syncfs" {
			opts.Flush = plog.FlushSyncfs
		}
		var reps []plog.Replica
		for r := range cfg.Replicas {
			reps = append(reps, plog.Replica{Gpid: gpidOf(r), Dir: plogDir(r)})
		}
		w, err := plog.Open(reps, opts)
		if err != nil {
			return res, err
		}
		ld, err := workload(cfg, func(_ int, g format.Gpid, m *format.Mutation) error { return w.Append(g, m) })
		if err != nil {
			w.Close()
			return res, err
		}
		stats := w.Stats()
		if err := w.Close(); err != nil {
			return res, err
		}
		res = summarize(mode, cfg, ld)
		res.Streams, res.Flush = cfg.Replicas, cfg.Flush
		var settle, write, flush time.Duration
		var batchRounds int64
		for _, st := range stats {
			res.Writes += st.Writes
			res.Syncs += st.Syncs
			res.Bytes += st.Bytes
			res.Rounds += st.Rounds
			settle, write, flush = settle+st.SettleTime, write+st.WriteTime, flush+st.FlushTime
			if st.Requests > 0 {
				batchRounds += st.Rounds
			}
		}
		if batchRounds > 0 {
			n := float64(batchRounds) * 1e3
			res.Round = &roundTimes{Settle: float64(settle) / n, Write: float64(write) / n, Flush: float64(flush) / n}
		}
		for r := range cfg.Replicas {
			g := gpidOf(r)
			specs = append(specs, verify.DirSpec{Path: plogDir(r), Kind: verify.Plog, Owner: &g})
		}

	case "raw-rounds":
		return runRawRounds(cfg, plogDir, runDirs)

	case "raw-fsync":
		// No log format at all: each client appends 4 KiB to its own file
		// and fdatasyncs it. The rate the device gives independent
		// durable writes.
		files := make([]vfs.File, cfg.Clients)
		for i := range files {
			f, err := vfs.OS.Create(filepath.Join(runDirs[i%len(runDirs)], fmt.Sprintf("raw.%d", i)))
			if err != nil {
				return res, err
			}
			defer f.Close()
			files[i] = f
		}
		buf := bytes.Repeat([]byte{'r'}, 4096)
		var syncs atomic.Int64
		ld, err := workload(cfg, func(c int, _ format.Gpid, _ *format.Mutation) error {
			if _, err := files[c].Write(buf); err != nil {
				return err
			}
			if !sync {
				return nil
			}
			syncs.Add(1)
			return files[c].Sync()
		})
		if err != nil {
			return res, err
		}
		res = summarize(mode, cfg, ld)
		res.Streams, res.Syncs, res.Writes, res.Bytes = cfg.Clients, syncs.Load(), res.Ops, res.Ops*4096
	}
	if cfg.Verify && len(specs) > 0 {
		reps, err := verify.LogDirs(specs, verify.Options{})
		if err != nil {
			return res, err
		}
		for _, r := range reps {
			if !r.OK {
				return res, fmt.Errorf("%s fails verify: %+v", r.Path, r.Findings)
			}
		}
	}
	return res, nil
}

// runEtcdWAL runs the bench/ module's etcdwal binary on the same workload
// and reads its JSON result. The etcd module lives in its own Go module so
// that the main module does not depend on etcd.
func runEtcdWAL(c *cli.Context, cfg benchWriteConfig) (benchWriteResult, error) {
	skip := func(why string) (benchWriteResult, error) {
		fmt.Fprintf(c.App.ErrWriter, "waltool: etcd-wal skipped: %s\n", why)
		return benchWriteResult{Mode: "etcd-wal", Clients: cfg.Clients, Sync: cfg.Sync, Skipped: why}, nil
	}
	bin := c.String("etcd-bin")
	if bin == "" {
		src := findBenchModule()
		if src == "" {
			return skip("bench/ module not found (run from the waltool source tree, or pass --etcd-bin)")
		}
		tmp, err := os.MkdirTemp("", "waltool-etcdwal-")
		if err != nil {
			return benchWriteResult{}, err
		}
		defer os.RemoveAll(tmp)
		bin = filepath.Join(tmp, "etcdwal")
		build := exec.Command("go", "build", "-o", bin, "./cmd/etcdwal")
		build.Dir = src
		if out, err := build.CombinedOutput(); err != nil {
			return skip(fmt.Sprintf("building %s/cmd/etcdwal failed (is go.etcd.io/etcd reachable?): %v: %s", src, err, strings.TrimSpace(string(out))))
		}
	}
	args := []string{
		"--replicas", fmt.Sprint(cfg.Replicas), "--clients", fmt.Sprint(cfg.Clients),
		"--value-size", fmt.Sprint(cfg.ValueSize), "--duration", cfg.Duration.String(),
		"--dirs", strings.Join(cfg.Dirs, ","), "--sync", cfg.Sync,
	}
	if cfg.Keep {
		args = append(args, "--keep")
	}
	cmd := exec.Command(bin, args...)
	cmd.Stderr = c.App.ErrWriter
	out, err := cmd.Output()
	if err != nil {
		return benchWriteResult{}, fmt.Errorf("%s: %w", bin, err)
	}
	var rep struct {
		Results []benchWriteResult `json:"results"`
	}
	if err := json.Unmarshal(out, &rep); err != nil || len(rep.Results) != 1 {
		return benchWriteResult{}, fmt.Errorf("%s: unexpected output %q: %v", bin, out, err)
	}
	return rep.Results[0], nil
}

// startNeighbour starts writing cfg.Neighbour MB/s of buffered data to a
// file in the first dir, wrapping at 1 GiB, and returns how to stop it.
// The kernel writes it back when it likes; syncfs has to write it all.
func startNeighbour(cfg benchWriteConfig) func() error {
	if cfg.Neighbour <= 0 {
		return func() error { return nil }
	}
	path := filepath.Join(cfg.Dirs[0], fmt.Sprintf("waltool-bench-neighbour-%d", os.Getpid()))
	f, err := os.Create(path)
	if err != nil {
		return func() error { return err }
	}
	quit, done := make(chan struct{}), make(chan error, 1)
	go func() {
		chunk := bytes.Repeat([]byte{'n'}, 1<<20)
		t := time.NewTicker(time.Second / time.Duration(cfg.Neighbour))
		defer t.Stop()
		var off int64
		for {
			select {
			case <-quit:
				done <- nil
				return
			case <-t.C:
			}
			if _, err := f.WriteAt(chunk, off); err != nil {
				done <- err
				return
			}
			off = (off + int64(len(chunk))) % (1 << 30)
		}
	}()
	return func() error {
		close(quit)
		err := <-done
		f.Close()
		os.Remove(path)
		return err
	}
}

// findBenchModule looks for bench/go.mod in the working directory and its
// parents.
func findBenchModule() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, "bench")
		if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(p, "cmd", "etcdwal")); err == nil {
				return p
			}
		}
		up := filepath.Dir(dir)
		if up == dir {
			return ""
		}
		dir = up
	}
}
