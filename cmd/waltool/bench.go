package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/waltool/waltool/format"
)

func benchCommand() *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "measure waltool against the physical ceiling of this machine",
		Subcommands: []*cli.Command{{
			Name:      "verify",
			Usage:     "time `waltool verify PATH` against raw reads and raw CRC-32C over the same bytes, in one run",
			ArgsUsage: "PATH",
			Flags: append([]cli.Flag{
				&cli.IntFlag{Name: "runs", Value: 3, Usage: "runs of each measurement; the best is reported"},
				&cli.BoolFlag{Name: "json", Usage: "print the results as JSON"},
			}, rootFlags()...),
			Action: benchVerify,
		}, {
			Name:      "replay",
			Usage:     "time `waltool replay ROOT` (mutations replayed per second, peak RSS)",
			ArgsUsage: "ROOT",
			Flags: append([]cli.Flag{
				&cli.IntFlag{Name: "runs", Value: 3, Usage: "runs; the best is reported"},
				&cli.StringFlag{Name: "server-version", Value: "2.4", Usage: "server version to model"},
				&cli.StringFlag{Name: "durable-decrees", Usage: "passed to replay (lower durable decrees replay more of the logs)"},
				&cli.BoolFlag{Name: "json", Usage: "print the results as JSON"},
			}, rootFlags()...),
			Action: benchReplay,
		}, benchWriteCommand()},
	}
}

type benchVerifyResult struct {
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

func benchVerify(c *cli.Context) error {
	t, files, err := onePathFiles(c)
	if err != nil {
		return err
	}
	res := benchVerifyResult{Path: t.path, Files: len(files), Cores: runtime.GOMAXPROCS(0)}
	for _, f := range files {
		res.Bytes += f.Size
	}
	gbps := func(d time.Duration) float64 { return float64(res.Bytes) / d.Seconds() / 1e9 }
	best := func(f func() (time.Duration, error)) (time.Duration, error) {
		var b time.Duration
		for i := 0; i < max(1, c.Int("runs")); i++ {
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
	// The first pass also warms the page cache: the benchmark is of a
	// cached root, so that CPU work, not the disk, is what is compared.
	d, err := best(func() (time.Duration, error) { return readAll(files, res.Cores, false) })
	if err != nil {
		return err
	}
	res.ReadGBps = gbps(d)
	if d, err = best(func() (time.Duration, error) { return readAll(files, 1, true) }); err != nil {
		return err
	}
	res.CRC1GBps = gbps(d)
	if d, err = best(func() (time.Duration, error) { return readAll(files, res.Cores, true) }); err != nil {
		return err
	}
	res.CRCGBps = gbps(d)
	var rss int64
	d, err = best(func() (time.Duration, error) {
		d, r, code, _, err := runChild(c, "verify", "--json", "--progress=false")
		rss = max(rss, r)
		res.VerifyExit = code
		return d, err
	})
	if err != nil {
		return err
	}
	res.VerifyGBps = gbps(d)
	res.VerifyVsCRC = res.VerifyGBps / res.CRCGBps
	res.VerifyMaxRSSMB = float64(rss) / (1 << 20)

	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	w := c.App.Writer
	fmt.Fprintf(w, "%s: %d files, %s, %d cores, best of %d runs, page cache warm\n", res.Path, res.Files, humanBytes(res.Bytes), res.Cores, c.Int("runs"))
	fmt.Fprintf(w, "  read only (all cores)          %6.2f GB/s\n", res.ReadGBps)
	fmt.Fprintf(w, "  read + CRC-32C (1 core)        %6.2f GB/s\n", res.CRC1GBps)
	fmt.Fprintf(w, "  read + CRC-32C (all cores)     %6.2f GB/s   <- ceiling\n", res.CRCGBps)
	fmt.Fprintf(w, "  waltool verify (end to end)    %6.2f GB/s   = %.0f%% of the ceiling, peak RSS %.1f MiB, exit %d\n",
		res.VerifyGBps, 100*res.VerifyVsCRC, res.VerifyMaxRSSMB, res.VerifyExit)
	return nil
}

// readAll reads every file in 1 MiB chunks on workers goroutines, running
// CRC-32C over the bytes if crc is set.
func readAll(files []format.LogFile, workers int, crc bool) (time.Duration, error) {
	start := time.Now()
	ch := make(chan format.LogFile)
	errs := make(chan error, len(files))
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 1<<20)
			var sum uint32
			for lf := range ch {
				f, err := os.Open(lf.Path)
				if err != nil {
					errs <- err
					continue
				}
				for {
					n, err := f.Read(buf)
					if crc {
						sum = format.CRC(sum, buf[:n])
					}
					if err == io.EOF {
						break
					}
					if err != nil {
						errs <- err
						break
					}
				}
				f.Close()
			}
			_ = sum
		}()
	}
	for _, f := range files {
		ch <- f
	}
	close(ch)
	wg.Wait()
	close(errs)
	return time.Since(start), <-errs
}

// runChild runs this binary's subcommand args on the same PATH in a child
// process, so that its time and peak RSS are its own, and returns its
// stdout.
func runChild(c *cli.Context, args ...string) (time.Duration, int64, int, []byte, error) {
	exe, err := os.Executable()
	if err != nil {
		return 0, 0, 0, nil, err
	}
	for _, f := range []string{"slog-dir", "data-dirs"} {
		if v := c.String(f); v != "" {
			args = append(args, "--"+f, v)
		}
	}
	cmd := exec.Command(exe, append(args, c.Args().First())...)
	var out bytes.Buffer
	cmd.Stdout = &out
	start := time.Now()
	err = cmd.Run()
	d := time.Since(start)
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		return 0, 0, 0, nil, err
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss * 1024 // Linux reports KiB
	}
	if code == exitUsage {
		return 0, 0, code, nil, fmt.Errorf("%s child exited %d", args[0], code)
	}
	return d, rss, code, out.Bytes(), nil
}

type benchReplayResult struct {
	Path          string  `json:"path"`
	ServerVersion string  `json:"server_version"`
	MutationsRead int64   `json:"mutations_read"`
	Seconds       float64 `json:"seconds"`
	MutationsPerS float64 `json:"mutations_per_second"`
	MaxRSSMB      float64 `json:"max_rss_mib"`
	Exit          int     `json:"exit"`
}

func benchReplay(c *cli.Context) error {
	if c.NArg() != 1 {
		return fmt.Errorf("bench replay takes one ROOT")
	}
	res := benchReplayResult{Path: c.Args().First(), ServerVersion: c.String("server-version")}
	var best time.Duration
	for i := 0; i < max(1, c.Int("runs")); i++ {
		args := []string{"replay", "--json", "--server-version", res.ServerVersion}
		if p := c.String("durable-decrees"); p != "" {
			args = append(args, "--durable-decrees", p)
		}
		d, rss, code, out, err := runChild(c, args...)
		if err != nil {
			return err
		}
		var r struct {
			MutationsRead int64 `json:"mutations_read"`
		}
		if err := json.Unmarshal(out, &r); err != nil {
			return fmt.Errorf("replay output: %w", err)
		}
		if best == 0 || d < best {
			best = d
		}
		res.MutationsRead, res.Exit = r.MutationsRead, code
		res.MaxRSSMB = max(res.MaxRSSMB, float64(rss)/(1<<20))
	}
	res.Seconds = best.Seconds()
	res.MutationsPerS = float64(res.MutationsRead) / res.Seconds
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	fmt.Fprintf(c.App.Writer, "%s: waltool replay --server-version %s: %d mutations in %.3f s = %.2f M mutations/s end to end, peak RSS %.1f MiB, exit %d\n",
		res.Path, res.ServerVersion, res.MutationsRead, res.Seconds, res.MutationsPerS/1e6, res.MaxRSSMB, res.Exit)
	return nil
}
