package main

import (
	"fmt"
	"os"
	"runtime"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/benchmark"
	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/internal/clikit"
	"github.com/waltool/waltool/internal/iec"
	"github.com/waltool/waltool/schema"
)

func benchCommand() *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "measure waltool against the physical ceiling of this machine",
		Description: "verify, ceiling and replay time waltool on a root against what the machine can do at best " +
			"(reads, CRC-32C on every core); write compares durable log writers. Reading commands read only.",
		Action: clikit.NeedCommand,
		Subcommands: []*cli.Command{{
			Name:      "verify",
			Usage:     "time waltool verify PATH against raw reads and raw CRC-32C over the same bytes, in one run",
			ArgsUsage: "PATH",
			Description: "PATH is what waltool verify takes. In one run, on the same bytes and a warm page cache: " +
				"plain reads, read + CRC-32C on one core and on all cores (the ceiling), and waltool verify end to " +
				"end in a child process, with its peak RSS. --runs keeps the best of each.",
			Flags: append([]cli.Flag{
				&cli.IntFlag{Name: "runs", Value: 3, Usage: "runs of each measurement; the best is reported", Action: clikit.AtLeast("runs", 1)},
				&cli.BoolFlag{Name: "json", Usage: "print one JSON document (waltool schema bench verify)"},
			}, rootFlags()...),
			Action: benchVerify,
		}, {
			Name:  "ceiling",
			Usage: "read every log file of PATH with CRC-32C on all cores: the ceiling of verify",
			Description: "Reads every log file of PATH on all cores with CRC-32C over every byte, and exits: " +
				"the ceiling of waltool verify PATH, as a process of its own, to time against it.",
			ArgsUsage: "PATH",
			Flags: append([]cli.Flag{
				&cli.BoolFlag{Name: "json", Usage: "print one JSON document: file_count, bytes, seconds, bytes_per_second (waltool schema bench ceiling)"},
			}, rootFlags()...),
			Action: benchCeiling,
		}, {
			Name:      "replay",
			Usage:     "time waltool replay ROOT (mutations replayed per second, peak RSS)",
			ArgsUsage: "ROOT",
			Description: "Runs waltool replay ROOT in a child process: mutations delivered per second end to end, " +
				"and peak RSS; --runs keeps the best. Lower --durable-decrees make the file filters skip less.",
			Flags: append([]cli.Flag{
				&cli.IntFlag{Name: "runs", Value: 3, Usage: "runs; the best is reported", Action: clikit.AtLeast("runs", 1)},
				&cli.StringFlag{Name: "server-version", Value: "2.4", Usage: "server version to model"},
				&cli.StringFlag{Name: "durable-decrees", Usage: "passed to replay (lower durable decrees replay more of the logs)"},
				&cli.BoolFlag{Name: "json", Usage: "print one JSON document (waltool schema bench replay)"},
			}, rootFlags()...),
			Action: benchReplay,
		}, benchWriteCommand()},
	}
}

// childTarget is what bench verify and bench replay time: this executable,
// run on the PATH argument with the same root flags.
func childTarget(c *cli.Context) (benchmark.Target, error) {
	exe, err := os.Executable()
	if err != nil {
		return benchmark.Target{}, err
	}
	t := benchmark.Target{Exe: exe, Path: c.Args().First(), Runs: c.Int("runs")}
	for _, f := range rootRefFlags {
		if v := c.String(f); v != "" {
			t.Flags = append(t.Flags, "--"+f, v)
		}
	}
	if c.Bool("no-slog") {
		t.Flags = append(t.Flags, "--no-slog")
	}
	return t, nil
}

// gibps converts the benchmark's decimal GB/s (its JSON gbps fields, kept
// for scripts) to GiB/s, the unit of every human-readable output.
func gibps(gbps float64) float64 { return gbps * 1e9 / (1 << 30) }

func benchVerify(c *cli.Context) error {
	t, files, err := benchFiles(c)
	if err != nil {
		return err
	}
	ct, err := childTarget(c)
	if err != nil {
		return err
	}
	ct.Path = t.Path
	res, err := ct.Verify(files, runtime.GOMAXPROCS(0))
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return emitDoc(c, &schema.BenchVerify{Path: res.Path, FileCount: int64(res.Files), Bytes: res.Bytes, Cores: int64(res.Cores),
			ReadBytesPerSecond: res.ReadGBps * 1e9, CRC1CoreBytesPerSecond: res.CRC1GBps * 1e9, CRCBytesPerSecond: res.CRCGBps * 1e9,
			VerifyBytesPerSecond: res.VerifyGBps * 1e9, VerifyVsCRC: res.VerifyVsCRC, VerifyMaxRSSBytes: int64(res.VerifyMaxRSSMB * (1 << 20)),
			VerifyExitStatus: int64(max(0, res.VerifyExit))})
	}
	w := c.App.Writer
	fmt.Fprintf(w, "%s: %s, %s, %s, best of %s, page cache warm\n", res.Path, iec.Plural(int64(res.Files), "file"), iec.Bytes(res.Bytes),
		iec.Plural(int64(res.Cores), "core"), iec.Plural(int64(c.Int("runs")), "run"))
	fmt.Fprintf(w, "  read only (all cores)          %6.2f GiB/s\n", gibps(res.ReadGBps))
	fmt.Fprintf(w, "  read + CRC-32C (1 core)        %6.2f GiB/s\n", gibps(res.CRC1GBps))
	fmt.Fprintf(w, "  read + CRC-32C (all cores)     %6.2f GiB/s   <- ceiling\n", gibps(res.CRCGBps))
	fmt.Fprintf(w, "  waltool verify (end to end)    %6.2f GiB/s   = %.0f%% of the ceiling, peak RSS %.1f MiB, exit %d\n",
		gibps(res.VerifyGBps), 100*res.VerifyVsCRC, res.VerifyMaxRSSMB, res.VerifyExit)
	return nil
}

func benchCeiling(c *cli.Context) error {
	t, files, err := benchFiles(c)
	if err != nil {
		return err
	}
	res, err := benchmark.MeasureCeiling(files, runtime.GOMAXPROCS(0))
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return emitDoc(c, &schema.BenchCeiling{Path: t.Path, FileCount: int64(res.Files), Bytes: res.Bytes, Cores: int64(res.Cores),
			Seconds: res.Seconds, BytesPerSecond: res.GBps * 1e9})
	}
	fmt.Fprintf(c.App.Writer, "%s: %s, %s read + CRC-32C on %s in %.3f s = %.2f GiB/s\n",
		t.Path, iec.Plural(int64(res.Files), "file"), iec.Bytes(res.Bytes), iec.Plural(int64(res.Cores), "core"), res.Seconds, gibps(res.GBps))
	return nil
}

func benchReplay(c *cli.Context) error {
	if c.NArg() != 1 {
		return fmt.Errorf("bench replay takes one ROOT")
	}
	t, err := childTarget(c)
	if err != nil {
		return err
	}
	res, err := t.Replay(c.String("server-version"), c.String("durable-decrees"))
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return emitDoc(c, &schema.BenchReplay{Path: res.Path, ServerVersion: res.ServerVersion, MutationsRead: res.MutationsRead,
			Seconds: res.Seconds, MutationsPerSecond: res.MutationsPerS, MaxRSSBytes: int64(res.MaxRSSMB * (1 << 20)),
			ReplayExitStatus: int64(max(0, res.Exit))})
	}
	fmt.Fprintf(c.App.Writer, "%s: waltool replay --server-version %s: %d mutations in %.3f s = %.2f M mutations/s end to end, peak RSS %.1f MiB, exit %d\n",
		res.Path, res.ServerVersion, res.MutationsRead, res.Seconds, res.MutationsPerS/1e6, res.MaxRSSMB, res.Exit)
	return nil
}

// benchFiles resolves the PATH bench verify and ceiling read, and lists
// its log files.
func benchFiles(c *cli.Context) (*dataroot.Target, []format.LogFile, error) {
	srv, err := server(c)
	if err != nil {
		return nil, nil, err
	}
	t, files, err := srv.Files(cancelFS(c.Context, readOnlyFS), c.Args().Slice())
	return t, files, usage(c, err)
}
