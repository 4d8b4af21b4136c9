package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/gc"
	"github.com/waltool/waltool/internal/clikit"
	"github.com/waltool/waltool/internal/iec"
	"github.com/waltool/waltool/reclaim"
)

// gcApplyFlags turn the dry run into the real thing.
func gcApplyFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "apply", Usage: "carry out the plan: delete (or move to --trash) in ascending index order, fsync each dir, stop at the first failure"},
		&cli.StringFlag{Name: "trash", Usage: "with --apply: move the files into this dir instead of deleting them"},
		&cli.BoolFlag{Name: "force", Usage: "with --apply: go on although verify finds what Pegasus would refuse, the server would abort, or the slog and the data dirs do not look like one server's"},
	}
}

// applyGC carries out rep's plan on t's root: the root's lock first (the
// one migrate takes too), then no process may have files of the root open
// (a running server), then verify must find nothing Pegasus would refuse
// and the replay model no abort, and the slog and the replica dirs must be
// one server's (unless --force), and only then
// reclaim.Apply deletes, through the writable OS, exactly the files the
// plan names, each still as the dry run saw it.
func applyGC(c *cli.Context, t *dataroot.Target, rep *gc.Report) (*reclaim.Report, error) {
	r := t.Root
	if r.Path == "" {
		return nil, clikit.Usagef(c, "--apply needs the data root ([core] data_dir) itself, where its lock file lives")
	}
	lock, err := takeRoot(c, t, "waltool gc --apply")
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	if err := refuseNotOneServer(c, r, rep.Findings, "gc --apply"); err != nil {
		return nil, err
	}
	if !c.Bool("force") {
		fatal, err := refusingFindings(t)
		if err != nil {
			return nil, err
		}
		fatal = append(fatal, finding.Fatals(rep.Findings)...)
		if len(fatal) > 0 {
			return nil, refusal(fatal, "gc --apply refused: verify or the replay model finds what Pegasus would refuse, or what waltool could not read (above); deleting logs now could lose what a repair needs (--force to go on)")
		}
	}
	plan := reclaim.Plan{}
	for _, dp := range rep.Plan() {
		d := reclaim.Dir{Path: dp.Dir}
		for _, f := range dp.Files {
			o, err := reclaim.Observe(readOnlyFS, f.Path)
			if err != nil {
				return nil, err
			}
			if o.Size != f.Size {
				return nil, fmt.Errorf("%s changed since the dry run (%d bytes, then %d): run gc again", f.Path, o.Size, f.Size)
			}
			d.Files = append(d.Files, o)
		}
		plan.Dirs = append(plan.Dirs, d)
	}
	applied, err := reclaim.Apply(cancelFS(c.Context, writeFS), plan, reclaim.Options{Trash: c.String("trash")})
	if err == nil && applied != nil && applied.Complete {
		markDone(c.Context)
	}
	return applied, err
}

// printApplied says, file by file, what --apply did and did not do.
func printApplied(w io.Writer, a *reclaim.Report) {
	fmt.Fprintln(w, "APPLIED (--apply: the dry run above, carried out):")
	for _, d := range a.Dirs {
		for _, f := range d.Files {
			line := fmt.Sprintf("  %-13s %s", strings.ToUpper(string(f.Outcome)), f.Path)
			if f.TrashPath != "" {
				line += " -> " + f.TrashPath
			}
			if f.Reason != "" {
				line += ": " + f.Reason
			}
			fmt.Fprintln(w, line)
		}
	}
	fmt.Fprintf(w, "removed %s, %s; freed %s\n", iec.Plural(int64(a.RemovedFiles), "file"), iec.Bytes(a.RemovedBytes), iec.Bytes(a.FreedBytes))
	switch {
	case a.Complete:
		fmt.Fprintln(w, "done: every planned file is gone, each dir fsynced")
	case a.Refused:
		fmt.Fprintln(w, "REFUSED: nothing was done; the logs changed since the dry run or the plan does not match them")
	default:
		fmt.Fprintf(w, "STOPPED at %s: the files before it are gone, it and the ones after are kept (no hole in any log)\n", a.StoppedAt)
	}
}
