package ops

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/decrees"
	"github.com/waltool/waltool/dump"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/internal/iec"
	"github.com/waltool/waltool/pegasus"
	"github.com/waltool/waltool/replay"
	"github.com/waltool/waltool/schema"
)

// ReplayRequest is `waltool replay ROOT`.
type ReplayRequest struct {
	Server  *Server
	Paths   []string
	Version pegasus.Version
	// DurableDecrees override the durable decree of these replicas.
	DurableDecrees map[gpid.Gpid]int64
}

// ReplayReport is what a server of the version recovers.
type ReplayReport struct{ Result *replay.Result }

// Doc is the contract's document.
func (r *ReplayReport) Doc() schema.Document { return replayDoc(r.Result) }

// WriteText prints the report for people.
func (r *ReplayReport) WriteText(w io.Writer) error {
	out := bufio.NewWriter(w)
	writeReplay(out, r.Result)
	return out.Flush()
}

// replayTarget is the root a replay reads.
func replayTarget(env *Env, req *ReplayRequest) (*dataroot.Target, replay.Options, error) {
	root, err := req.Server.OnePath(req.Paths, "ROOT")
	if err != nil {
		return nil, replay.Options{}, err
	}
	t, err := req.Server.Resolve(env.read(), root)
	if err != nil {
		return nil, replay.Options{}, err
	}
	if t.Root == nil {
		return nil, replay.Options{}, fmt.Errorf("%s is a %s; replay needs a data root or a replica dir", t.Path, t.What())
	}
	return t, replay.Options{Version: req.Version, DurableDecrees: req.DurableDecrees}, nil
}

// Replay models the server's start-up replay of ROOT. The error is its
// verdict.
func Replay(env *Env, req ReplayRequest) (*ReplayReport, error) {
	t, opts, err := replayTarget(env, &req)
	if err != nil {
		return nil, err
	}
	res, err := replayWithBar(env, t, opts, "replay")
	if err != nil {
		return nil, err
	}
	return &ReplayReport{Result: res}, Verdict(res.OK, res.Findings)
}

// replayWithBar runs the replay with a progress bar over every log file.
func replayWithBar(env *Env, t *dataroot.Target, opts replay.Options, what string) (*replay.Result, error) {
	bar := env.large(what, logBytes(t))
	opts.Progress = func(n int64) { bar.Add64(n) }
	res, err := replay.Run(t.Root, opts)
	bar.Finish()
	if err := env.stopped(); err != nil {
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
// EmitRequest is `waltool replay ROOT --emit GPID`.
type EmitRequest struct {
	ReplayRequest
	Gpid gpid.Gpid
	// JSON prints the contract's stream rather than mlog_dump's lines;
	// Detailed decodes each write; Command names the command in the lines.
	JSON, Detailed bool
	Command        string
}

// Emit prints, to env.Out, the stream the server recovers for one replica
// in commit order, as dump prints mutations. A replica the server does not
// load recovers nothing: a first replay finds that out, so that no line
// of a refused plog is printed as recovered; the stream is then the
// second replay's. The findings of the replica and of the root follow the
// stream (finding lines in JSON, env.Warn in text); the report counts
// what was read (the end line). The error is the verdict.
func Emit(env *Env, req EmitRequest) (*StreamReport, error) {
	t, opts, err := replayTarget(env, &req.ReplayRequest)
	if err != nil {
		return nil, err
	}
	g := req.Gpid
	if !slices.ContainsFunc(t.Root.Replicas, func(r *dataroot.Replica) bool { return r.Gpid == g }) {
		return nil, Usage("--emit %s: no replica dir of %s under %s (replicas: %s)", g, g, t.Path, replicaList(t.Root.Replicas))
	}
	rep := &StreamReport{End: schema.End{FileCount: int64(len(t.Files()))}}
	res, err := replayWithBar(env, t, opts, "replay")
	if err != nil {
		return nil, err
	}
	out := bufio.NewWriter(env.Out)
	defer out.Flush()
	p := dump.NewPrinter(dump.Options{JSON: req.JSON, Command: req.Command, Detailed: req.Detailed, Out: out})
	defer p.Flush()
	why := notRecovered(res, g)
	if why == "" {
		opts.EmitGpid = &g
		opts.Emit = func(m *format.Mutation, at replay.Loc, committed bool) error {
			rep.End.Printed++
			return p.Mutation(at.File, m, at.Pos, &committed)
		}
		if res, err = replayWithBar(env, t, opts, "replay: emit"); err != nil {
			return nil, err
		}
	}
	rep.End.Mutations = res.MutationsRead
	for _, f := range res.Findings {
		if f.Class.Fatal() && (f.Gpid == nil || *f.Gpid == g) {
			p.Finding(f)
			if !req.JSON {
				writeFinding(env.warn(), f)
			}
		}
	}
	if err := p.Flush(); err != nil {
		return nil, err
	}
	switch {
	case why != "":
		return rep, Refusal(nil, "nothing to emit: under %s the server does not recover replica %s: %s", res.ServerVersion, g, why)
	case !res.OK:
		return rep, verdictWhy(res)
	}
	return rep, Verdict(res.OK, res.Findings)
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
	if err := Verdict(true, res.Findings); err != nil {
		return err // something could not be read: exit 2
	}
	what := "it"
	if n := len(finding.Fatals(res.Findings)); n > 0 {
		what = iec.Plural(int64(n), "finding") + " above"
	}
	return Findings("under %s the root is not safe (`waltool replay` without --emit shows %s for every replica)", res.ServerVersion, what)
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

func writeReplay(w io.Writer, res *replay.Result) {
	if res.ServerDirs != nil {
		writeDirs(w, *res.ServerDirs)
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
			writeFinding(w, f)
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
