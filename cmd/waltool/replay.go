package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/decrees"
	"github.com/waltool/waltool/dump"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/internal/clikit"
	"github.com/waltool/waltool/internal/iec"
	"github.com/waltool/waltool/replay"
)

func replayCommand() *cli.Command {
	return &cli.Command{
		Name:      "replay",
		Usage:     "show what a Pegasus server of a given version recovers from a data root, and what it would lose",
		ArgsUsage: "[ROOT]",
		Description: "ROOT is a data root or a replica dir (default: the [core] data_dir of --config). An exact " +
			"offline model of the server's startup replay: every plog, then the slog (<= 2.5), with the " +
			"prepare-list rules. Read-only. Exit 0 when every replica opens and nothing is lost under the chosen " +
			"version, 1 otherwise, and 1 when no slog was read (missing) unless --no-slog states the server has none.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "server-version", Value: "2.4", Usage: "2.3, 2.4, 2.5 or 2.6 (2.6 ignores the slog); 2.6.0 is 2.6"},
			durableDecreesFlag(),
			&cli.StringFlag{Name: "emit", Usage: "print this replica's recovered mutations in commit order, as dump prints them (-d, --json)"},
			&cli.BoolFlag{Name: "detailed", Aliases: []string{"d"}, Usage: "with --emit: decode each update's request, as dump -d"},
			&cli.BoolFlag{Name: "json", Usage: "print one JSON document (with --emit: JSON Lines)"},
			&cli.BoolFlag{Name: "progress", Value: true, Usage: "show a progress bar on stderr when it is a terminal and the input is large"},
		}, rootFlags()...),
		Action: runReplay,
	}
}

func runReplay(c *cli.Context) error {
	root, err := oneRoot(c)
	if err != nil {
		return err
	}
	v, err := versionFlag(c, "server-version")
	if err != nil {
		return err
	}
	t, err := resolve(c, root)
	if err != nil {
		return err
	}
	if t.Root == nil {
		return fmt.Errorf("%s is a %s; replay needs a data root or a replica dir", t.Path, t.What())
	}
	opts := replay.Options{Version: v}
	if opts.DurableDecrees, err = durableDecrees(c); err != nil {
		return err
	}
	if c.IsSet("emit") {
		return runEmit(c, t, opts)
	}
	res, err := replayWithBar(c, t, opts, "replay")
	if err != nil {
		return err
	}
	out := bufio.NewWriter(c.App.Writer)
	defer out.Flush()
	if c.Bool("json") {
		emitDoc(c, replayDoc(res))
	} else {
		printReplay(out, res)
	}
	if err := out.Flush(); err != nil {
		return err
	}
	return verdict(res.OK, res.Findings)
}

// replayWithBar runs the replay with a progress bar over every log file.
func replayWithBar(c *cli.Context, t *dataroot.Target, opts replay.Options, what string) (*replay.Result, error) {
	bar := newLargeProgress(c, logBytes(t), what)
	opts.Progress = func(n int64) { bar.Add64(n) }
	res, err := replay.Run(t.Root, opts)
	bar.Finish()
	if err := c.Context.Err(); err != nil {
		return nil, err
	}
	return res, err
}

// runEmit prints the stream the server recovers for one replica, in
// commit order, as dump prints mutations. A replica the server does not
// load recovers nothing: a first replay finds that out, so that no line
// of a refused plog is printed as recovered; the stream is then the
// second replay's. The findings of the replica and of the root follow the
// stream (finding lines in JSON, stderr in text), and the end line counts
// what was read.
func runEmit(c *cli.Context, t *dataroot.Target, opts replay.Options) error {
	g, err := parseGpid(c.String("emit"))
	if err != nil {
		return clikit.Usagef(c, "%s %s: %v", clikit.TypedFlag(c, "emit"), c.String("emit"), err)
	}
	if !slices.ContainsFunc(t.Root.Replicas, func(r *dataroot.Replica) bool { return r.Gpid == g }) {
		return clikit.Usagef(c, "--emit %s: no replica dir of %s under %s (replicas: %s)", g, g, t.Path, replicaList(t.Root.Replicas))
	}
	end := streamEnd(c)
	end.FileCount = int64(len(t.Files()))
	res, err := replayWithBar(c, t, opts, "replay")
	if err != nil {
		return err
	}
	out := bufio.NewWriter(c.App.Writer)
	defer out.Flush()
	p := dump.NewPrinter(dump.Options{JSON: c.Bool("json"), Command: commandName(c), Detailed: c.Bool("detailed"), Out: out})
	defer p.Flush()
	why := notRecovered(res, g)
	if why == "" {
		opts.EmitGpid = &g
		opts.Emit = func(m *format.Mutation, at replay.Loc, committed bool) error {
			end.Printed++
			return p.Mutation(at.File, m, at.Pos, &committed)
		}
		if res, err = replayWithBar(c, t, opts, "replay: emit"); err != nil {
			return err
		}
	}
	end.Mutations = res.MutationsRead
	for _, f := range res.Findings {
		if f.Class.Fatal() && (f.Gpid == nil || *f.Gpid == g) {
			p.Finding(f)
			if !c.Bool("json") {
				printFinding(c.App.ErrWriter, f)
			}
		}
	}
	if err := p.Flush(); err != nil {
		return err
	}
	switch {
	case why != "":
		return refusal(nil, "nothing to emit: under %s the server does not recover replica %s: %s", res.ServerVersion, g, why)
	case !res.OK:
		return verdictWhy(res)
	}
	return verdict(res.OK, res.Findings)
}

// notRecovered says why the server recovers nothing of replica g ("" when
// it loads it): it refuses the replica, or aborts.
func notRecovered(res *replay.Result, g gpid.Gpid) string {
	if res.Abort != "" {
		return "the server aborts at start: " + res.Abort
	}
	for _, rr := range res.Replicas {
		if rr.Gpid == g && rr.Error != "" {
			return rr.Error
		}
	}
	return ""
}

// verdictWhy is the verdict of a replay that is not OK, saying why in one
// sentence: what the findings above locate.
func verdictWhy(res *replay.Result) error {
	if err := verdict(true, res.Findings); err != nil {
		return err // something could not be read: exit 2
	}
	what := "it"
	if n := len(finding.Fatals(res.Findings)); n > 0 {
		what = iec.Plural(int64(n), "finding") + " above"
	}
	return findings("under %s the root is not safe (`waltool replay` without --emit shows %s for every replica)", res.ServerVersion, what)
}

// replicaList names the replicas of a root, for a message: "1.0, 1.1, 2.0"
// (the first 10).
func replicaList(reps []*dataroot.Replica) string {
	var gs []gpid.Gpid
	for _, r := range reps {
		if !slices.Contains(gs, r.Gpid) {
			gs = append(gs, r.Gpid)
		}
	}
	slices.SortFunc(gs, func(a, b gpid.Gpid) int {
		if a.Less(b) {
			return -1
		}
		if b.Less(a) {
			return 1
		}
		return 0
	})
	var names []string
	for i, g := range gs {
		if i == 10 {
			names = append(names, "...")
			break
		}
		names = append(names, g.String())
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

func printReplay(w io.Writer, res *replay.Result) {
	if res.ServerDirs != nil {
		printDirs(w, *res.ServerDirs)
	}
	fmt.Fprintf(w, "Pegasus %s replay", res.ServerVersion)
	if res.Slog != nil {
		read := "read"
		if !res.Slog.Read {
			read = "IGNORED by this version"
		}
		fmt.Fprintf(w, " (slog %s: %s, %s, %s)", res.Slog.Path, iec.Plural(int64(res.Slog.Files), "file"), iec.Plural(int64(res.Slog.Mutations), "mutation"), read)
	} else if res.NoSlogRead != "" {
		fmt.Fprintf(w, " (NO SLOG READ: %s)", res.NoSlogRead)
	} else {
		fmt.Fprint(w, " (no slog: --no-slog)")
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "GPID\tDURABLE\tCOMMITTED\tPREPARED\tPLOG DECREES\tSLOG-ONLY\tAPPENDED\tLOST\tSTATUS")
	for _, r := range res.Replicas {
		status := "ok"
		switch {
		case r.Error != "":
			status = "ERROR: " + r.Error
		case len(r.Lost) > 0:
			status = "LOSES " + iec.Plural(decrees.Count(r.Lost), "decree")
		case r.LogIncomplete:
			status = "log incomplete (2.3 marks all replicas inactive)"
		}
		plog := "-"
		if r.Plog.Mutations > 0 {
			plog = fmt.Sprintf("%d..%d", r.Plog.MinDecree, r.Plog.MaxDecree)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%d\t%s\t%s\n", r.Gpid, r.DurableDecree, r.CommittedDecree,
			decrees.Format(r.Prepared), plog, decrees.Format(r.SlogOnlyDecrees), r.AppendedFromSlog, decrees.Format(r.Lost), status)
	}
	tw.Flush()
	for _, o := range res.Orphans {
		fmt.Fprintf(w, "orphan %s: %s (decrees %d..%d) dropped: %s\n", o.Gpid, iec.Plural(int64(o.Mutations), "slog mutation"), o.MinDecree, o.MaxDecree, o.Reason)
	}
	if n := noReplicaDir(res.Orphans); n > 0 {
		fmt.Fprintf(w, "  %d orphan gpids have no replica dir here: %s\n", n, replay.OrphanHint)
	}
	// What is wrong beyond the replicas' rows: dirs missing or unreadable,
	// a slog refused (the ABORT line below tells an abort), a slog that is
	// not the replicas' server's (the rows above are then meaningless).
	for _, f := range res.Findings {
		if f.Gpid == nil && f.Class.Fatal() && !errors.Is(f, replay.ErrAbort) || dataroot.IsNotOneServer(f) {
			printFinding(w, f)
		}
	}
	fmt.Fprintln(w, coverage(res))
	if res.Abort != "" {
		fmt.Fprintf(w, "ABORT: the server crashes while replaying: %s\n", res.Abort)
	}
	switch {
	case res.OK:
		fmt.Fprintf(w, "OK: every replica opens and nothing is lost under %s\n", res.ServerVersion)
	case res.NoSlogRead != "":
		fmt.Fprintf(w, "FAILED: no slog was read (%s), so nothing can be called safe under %s (see MISSING above)\n", res.NoSlogRead, res.ServerVersion)
	default:
		fmt.Fprintf(w, "FAILED: under %s at least one replica fails to open or loses data\n", res.ServerVersion)
	}
}

func noReplicaDir(os []replay.Orphan) int {
	n := 0
	for _, o := range os {
		if o.Reason == replay.ReasonNoReplicaDir {
			n++
		}
	}
	return n
}

// coverage says which replicas the verdict covers: those in the data
// dirs read, and not the slog gpids without a replica dir.
func coverage(res *replay.Result) string {
	dirs := "the replica dir given"
	if res.ServerDirs != nil {
		read := 0
		for _, d := range res.ServerDirs.DataDirs {
			if d.State == "" {
				read++
			}
		}
		dirs = fmt.Sprintf("%d of %d data dirs", read, len(res.ServerDirs.DataDirs))
	}
	n := fmt.Sprintf("%d replica dirs", len(res.Replicas))
	if len(res.Replicas) == 1 {
		n = "1 replica dir"
	}
	s := fmt.Sprintf("the verdict covers the %s found in %s", n, dirs)
	if n := noReplicaDir(res.Orphans); n > 0 {
		s += fmt.Sprintf(", not the %d slog gpids without one", n)
	}
	return s
}
