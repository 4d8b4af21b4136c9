package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/benchmark"
	"github.com/waltool/waltool/internal/clikit"
	"github.com/waltool/waltool/schema"
)

func benchWriteCommand() *cli.Command {
	return &cli.Command{
		Name:  "write",
		Usage: "durable write throughput and latency: one shared log vs per-replica plogs vs the parallel plog writer",
		// Pre-wrapped: the help wraps lines longer than 77 columns.
		Description: "Modes:\n" +
			"  shared-log     one shared log, all replicas interleaved, one writer with\n" +
			"                 group commit (Pegasus 2.3)\n" +
			"  plog-per-file  one plog per replica, each writing and syncing on its own\n" +
			"                 (Pegasus 2.4+, plog_force_flush=true)\n" +
			"  plog-parallel  format/plog: per-replica plogs, group commit per stream and\n" +
			"                 one flush round per disk\n" +
			"  raw-rounds     plog-parallel's I/O alone (the same files, writes and flush\n" +
			"                 rounds, back to back, no writer, no clients): the ceiling\n" +
			"                 of per-replica plogs flushed in shared rounds on these disks\n" +
			"  raw-fsync      one goroutine per client appending 4 KiB and fdatasyncing\n" +
			"                 its own file: the device ceiling\n" +
			"  etcd-wal       go.etcd.io/etcd/server/v3/storage/wal, one WAL per replica\n" +
			"                 (built from the bench/ module)\n" +
			"Files go to a fresh directory under each of --dirs and are removed\n" +
			"afterwards (unless --keep). Use a directory on the disk under test: a tmpfs\n" +
			"makes every flush free.",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "replicas", Value: 64, Usage: "replicas (plogs); each write goes to one chosen at random", Action: clikit.AtLeast("replicas", 1)},
			&cli.IntFlag{Name: "clients", Value: 32, Usage: "concurrent clients, each with one write outstanding", Action: clikit.AtLeast("clients", 1)},
			&cli.GenericFlag{Name: "value-size", Value: &clikit.SizeValue{N: 1000}, Usage: "bytes of each PUT's value: 1000, 4K (the Pegasus benchmark used 1000)", Action: clikit.SizeAtLeast("value-size", 0)},
			&cli.DurationFlag{Name: "duration", Value: 10 * time.Second, Usage: "how long each mode runs", Action: clikit.Positive("duration")},
			&cli.StringFlag{Name: "dirs", Usage: "comma-separated directories, one per disk; replicas are spread over them (default: the system temp dir)"},
			&cli.StringFlag{Name: "sync", Value: "batch", Usage: "none (Pegasus's default, plog_force_flush=false) or batch (durable before the ack)"},
			&cli.StringFlag{Name: "modes", Value: "shared-log,plog-per-file,plog-parallel,raw-rounds,raw-fsync,etcd-wal", Usage: "modes to run, in order, comma-separated", DefaultText: "every mode, in the order above"},
			&cli.StringFlag{Name: "flush", Value: "syncfs", Usage: "plog-parallel flush round: syncfs (one per disk; best on a disk of its own) or fdatasync (one per written file, concurrently; touches nothing else)"},
			&cli.BoolFlag{Name: "start-writeback", Value: true, Usage: "plog-parallel: start each batch's writeback right after its write (sync_file_range); --start-writeback=false to compare"},
			&cli.IntFlag{Name: "parallelism", Value: 8, Usage: "plog-parallel: concurrent writes and fdatasyncs per disk", Action: clikit.AtLeast("parallelism", 1)},
			&cli.BoolFlag{Name: "preallocate", Value: true, Usage: "plog-parallel: reserve each plog file's blocks when it is created (fallocate KEEP_SIZE); --preallocate=false to compare"},
			&cli.IntFlag{Name: "neighbour-mbps", Usage: "also write this many MiB/s of buffered, unsynced data to the first dir during each mode, as RocksDB flushes and compactions do on a shared disk", Action: clikit.AtLeast("neighbour-mbps", 0)},
			&cli.StringFlag{Name: "etcd-bin", Usage: "the bench/ module's etcdwal binary (default: built from bench/ if the source is found)"},
			&cli.BoolFlag{Name: "verify", Usage: "verify every log written (waltool verify rules) before removing it"},
			&cli.BoolFlag{Name: "keep", Usage: "keep the files written"},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON document (waltool schema bench write)"},
		},
		Action: benchWrite,
	}
}

func benchWrite(c *cli.Context) error {
	cfg := benchmark.WriteConfig{
		Replicas: c.Int("replicas"), Clients: c.Int("clients"), ValueSize: int(c.Generic("value-size").(*clikit.SizeValue).N),
		Duration: c.Duration("duration"), Sync: c.String("sync"), Flush: c.String("flush"),
		Parallelism: c.Int("parallelism"), Neighbour: c.Int("neighbour-mbps"), Writeback: c.Bool("start-writeback"),
		Preallocate: c.Bool("preallocate"), Cores: runtime.GOMAXPROCS(0), Verify: c.Bool("verify"), Keep: c.Bool("keep"),
	}
	cfg.Seconds = cfg.Duration.Seconds()
	for _, d := range strings.Split(c.String("dirs"), ",") {
		if d = strings.TrimSpace(d); d != "" {
			cfg.Dirs = append(cfg.Dirs, d)
		}
	}
	if len(cfg.Dirs) == 0 {
		cfg.Dirs = []string{os.TempDir()}
	}
	if err := cfg.Check(); err != nil {
		return fmt.Errorf("bench write: %w", err)
	}
	all := benchmark.WriteModes(benchmark.EtcdWAL{Bin: c.String("etcd-bin"), Log: c.App.ErrWriter})
	var names []string
	for _, m := range all {
		names = append(names, m.Name())
	}
	var modes []benchmark.WriteMode
	for _, name := range strings.Split(c.String("modes"), ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		i := slices.Index(names, name)
		if i < 0 {
			return fmt.Errorf("bench write: unknown mode %q (modes: %s)", name, strings.Join(names, ", "))
		}
		modes = append(modes, all[i])
	}
	for _, d := range cfg.Dirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		if benchmark.OnTmpfs(d) {
			fmt.Fprintf(c.App.ErrWriter, "waltool: warning: %s is a tmpfs: flushes cost nothing there\n", d)
		}
		// Interrupted (the run does not watch the context), the process
		// exits after a grace period: the fresh dirs go with it.
		if !cfg.Keep {
			defer removeNewOnInterrupt(d, "waltool-bench-*")()
		}
	}
	var progress io.Writer
	if !c.Bool("json") {
		progress = c.App.ErrWriter
	}
	rep, err := benchmark.RunWrite(cfg, modes, progress)
	if err != nil {
		return fmt.Errorf("bench write: %w", err)
	}
	if c.Bool("json") {
		return emitDoc(c, benchWriteDoc(rep))
	}
	printBenchWrite(c.App.Writer, rep)
	return nil
}

func printBenchWrite(w io.Writer, rep benchmark.WriteReport) {
	cfg := rep.Config
	fmt.Fprintf(w, "%d clients, %d replicas, %d-byte values, sync=%s, %s per mode, %d cores, dirs %s\n",
		cfg.Clients, cfg.Replicas, cfg.ValueSize, cfg.Sync, cfg.Duration, cfg.Cores, strings.Join(cfg.Dirs, ","))
	if cfg.Neighbour > 0 {
		fmt.Fprintf(w, "with a neighbour writing %d MiB/s of unsynced data to %s\n", cfg.Neighbour, cfg.Dirs[0])
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

func benchWriteDoc(rep benchmark.WriteReport) *schema.BenchWrite {
	cfg := rep.Config
	d := &schema.BenchWrite{Config: schema.BenchWriteConfig{ReplicaCount: int64(cfg.Replicas), Clients: int64(cfg.Clients),
		ValueBytes: int64(cfg.ValueSize), Seconds: cfg.Seconds, Paths: orEmpty(cfg.Dirs), Sync: cfg.Sync, Flush: cfg.Flush,
		Parallelism: int64(cfg.Parallelism), NeighbourBytesPerSecond: int64(cfg.Neighbour) << 20, StartWriteback: cfg.Writeback,
		Preallocate: cfg.Preallocate, Cores: int64(cfg.Cores)}, Results: []schema.BenchWriteMode{}, Ratios: []schema.Ratio{}}
	for _, r := range rep.Results {
		l := r.Lat
		m := schema.BenchWriteMode{Mode: r.Mode, Streams: int64(r.Streams), Clients: int64(r.Clients), Sync: r.Sync, Flush: r.Flush,
			Ops: r.Ops, Seconds: r.Seconds, QPS: r.QPS, Writes: r.Writes, Syncs: r.Syncs, Bytes: r.Bytes, Rounds: r.Rounds, Skipped: r.Skipped,
			LatencyUs: schema.Latency{Avg: l.Avg, P50: l.P50, P95: l.P95, P99: l.P99, P999: l.P999, P9999: l.P9999, Max: l.Max}}
		if x := r.Round; x != nil {
			m.Round = &schema.RoundSplit{SettleUs: x.Settle, WriteUs: x.Write, FlushUs: x.Flush}
		}
		if x := r.Device; x != nil {
			m.DeviceUse = &schema.DeviceUse{Devices: orEmpty(x.Devices), WritesPerOp: x.Writes, BytesPerOp: x.KiB * 1024, FlushesPerOp: x.Flushes, BusyPct: x.BusyPct}
		}
		d.Results = append(d.Results, m)
	}
	names := make([]string, 0, len(rep.Ratios))
	for k := range rep.Ratios {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		d.Ratios = append(d.Ratios, schema.Ratio{Name: k, Value: rep.Ratios[k]})
	}
	return d
}
