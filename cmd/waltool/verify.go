package main

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/internal/clikit"
	"github.com/waltool/waltool/internal/iec"
	"github.com/waltool/waltool/schema"
	"github.com/waltool/waltool/verify"
)

func verifyCommand() *cli.Command {
	return &cli.Command{
		Name:      "verify",
		Usage:     "check log files, dirs, replicas or data roots as a Pegasus server would read them",
		ArgsUsage: "PATH...",
		Description: "Each PATH is a log file, a plog or slog dir, a replica dir or a data root (default: the " +
			"[core] data_dir of --config). Every finding names the file and byte offset and is classed torn-tail " +
			"(Pegasus tolerates it), corrupt (Pegasus refuses the replica or slog), missing (a slog or data dir " +
			"is not there) or warning. Read-only; uses every core across files. " +
			"Exit 0 when nothing Pegasus would refuse was found (torn tails allowed), 1 otherwise, 2 on usage or I/O errors.",
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print one JSON document"},
			&cli.IntFlag{Name: "workers", Usage: "files scanned at once (default: one per CPU)", Action: clikit.AtLeast("workers", 1)},
			&cli.BoolFlag{Name: "progress", Value: true, Usage: "show a progress bar on stderr when it is a terminal"},
		}, rootFlags()...),
		Action: runVerify,
	}
}

func runVerify(c *cli.Context) error {
	paths, err := rootPaths(c)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return clikit.Usagef(c, "needs at least one PATH (or --config)")
	}
	var targets []*dataroot.Target
	var docTargets []schema.Target
	var total int64
	for _, p := range paths {
		t, err := resolve(c, p)
		if err != nil {
			return err
		}
		for _, f := range t.Files() {
			total += f.Size
		}
		targets = append(targets, t)
	}
	bar := newProgress(c, total, "verify")
	var done atomic.Int64
	opts := verify.Options{FS: readOnlyFS, Workers: c.Int("workers"), Progress: func(n int64) { bar.Set64(done.Add(n)) }}

	all := &verify.Report{OK: true}
	for _, t := range targets {
		r, err := verify.Target(t, opts)
		if err := c.Context.Err(); err != nil {
			return err
		}
		if err != nil {
			return err
		}
		all.Dirs = append(all.Dirs, r.Dirs...)
		all.Findings = append(all.Findings, r.Findings...)
		all.ServerDirs = append(all.ServerDirs, r.ServerDirs...)
		all.OK = all.OK && r.OK
		dt := schema.Target{Path: t.Path, What: string(t.Kind)}
		if len(r.ServerDirs) > 0 {
			dt.ServerDirs = serverDirsDoc(&r.ServerDirs[0])
		}
		docTargets = append(docTargets, dt)
	}
	bar.Finish()
	if c.Bool("json") {
		emitDoc(c, verifyDoc(docTargets, all))
	} else {
		printReport(c.App.Writer, all)
	}
	fss := [][]finding.Finding{all.Findings}
	for _, d := range all.Dirs {
		fss = append(fss, d.Findings)
	}
	return verdict(all.OK, fss...)
}

func printReport(w io.Writer, r *verify.Report) {
	for _, src := range r.ServerDirs {
		printDirs(w, src)
	}
	for _, d := range r.Dirs {
		status := "ok"
		if !d.OK {
			status = "CORRUPT"
		}
		fmt.Fprintf(w, "%s %s: %s, %s, %s, %s, %s, end offset %d\n",
			d.Kind, d.Path, status, iec.Plural(int64(len(d.Files)), "file"), iec.Plural(int64(d.Blocks), "block"),
			iec.Plural(int64(d.Mutations), "mutation"), iec.Bytes(d.Bytes), d.EndOffset)
		gpids := make([]gpid.Gpid, 0, len(d.Gpids))
		for g := range d.Gpids {
			gpids = append(gpids, g)
		}
		sort.Slice(gpids, func(i, j int) bool { return gpids[i].Less(gpids[j]) })
		for _, g := range gpids {
			st := d.Gpids[g]
			intact := ""
			if st.LastIntactDecree != st.MaxDecree {
				intact = fmt.Sprintf(", last intact decree %d", st.LastIntactDecree)
			}
			fmt.Fprintf(w, "  %-8s decrees %d..%d, %s%s\n", g, st.MinDecree, st.MaxDecree, iec.Plural(int64(st.Mutations), "mutation"), intact)
		}
		for _, f := range d.Findings {
			printFinding(w, f)
		}
	}
	for _, f := range r.Findings {
		printFinding(w, f)
	}
	if r.OK {
		fmt.Fprintln(w, "OK: nothing Pegasus would refuse")
	} else {
		fmt.Fprintln(w, "FAILED: Pegasus would refuse at least one log or replica")
	}
}

func printFinding(w io.Writer, f finding.Finding) {
	at := ""
	if f.Offset >= 0 {
		at = fmt.Sprintf(" at offset %d", f.Offset)
	}
	fmt.Fprintf(w, "  %s: %s%s: %s\n", strings.ToUpper(f.Class.String()), f.Path, at, f.Message)
}
