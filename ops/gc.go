package ops

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/gc"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/internal/iec"
	"github.com/waltool/waltool/pegasus"
	"github.com/waltool/waltool/reclaim"
	"github.com/waltool/waltool/schema"
)

// GCRequest is `waltool gc ROOT`: the dry run, --check, and --apply.
type GCRequest struct {
	Server  *Server
	Paths   []string
	Version pegasus.Version
	Logs    gc.Logs
	// Rule is the slog rule ("": the version's).
	Rule gc.Rule
	// Now is the clock of log_private_reserve_max_time_seconds (zero: now).
	Now time.Time
	// Limits the operator named (nil: the config's, else the version's
	// code default): defaults, then the config, then these.
	ReserveMaxSizeMB, ReserveMaxTimeSeconds, SharedFileCountLimit, SharedGCFlushReplicasLimit *int64
	DupConfirmed                                                                              map[gpid.Gpid]int64
	DurableDecrees                                                                            map[gpid.Gpid]int64
	// ServerAddress is the operator's IP[:PORT] for the flush command.
	ServerAddress string
	// Check makes a replica that holds a file back a finding (exit 1).
	Check bool
	// Apply carries the plan out (deleting, or moving into Trash); Force
	// goes on despite what Pegasus would refuse.
	Apply bool
	Trash string
	Force bool
}

// GCReport is the GC's plan and, with --apply, what it did.
type GCReport struct {
	Report  *gc.Report
	Applied *reclaim.Report
}

// Doc is the contract's document.
func (r *GCReport) Doc() schema.Document { return gcDoc(r.Report, r.Applied) }

// WriteText prints the report for people.
func (r *GCReport) WriteText(w io.Writer) error {
	out := bufio.NewWriter(w)
	writeGC(out, r.Report)
	if r.Applied != nil {
		writeApplied(out, r.Applied)
	}
	return out.Flush()
}

// options are the gc package's options: the version's defaults, the
// config's keys over them, the operator's flags over both.
func (req *GCRequest) options() (gc.Options, error) {
	opts := gc.Options{Version: req.Version, Limits: gc.DefaultLimits(req.Version), Logs: req.Logs, Rule: req.Rule, Now: req.Now,
		DupConfirmed: req.DupConfirmed, DurableDecrees: req.DurableDecrees}
	if err := req.Server.GCLimits(&opts.Limits); err != nil {
		return opts, err
	}
	l := &opts.Limits
	if v := req.ReserveMaxSizeMB; v != nil {
		l.LogPrivateReserveMaxSizeMB = *v
	}
	if v := req.ReserveMaxTimeSeconds; v != nil {
		l.LogPrivateReserveMaxTimeSeconds = *v
	}
	if v := req.SharedFileCountLimit; v != nil {
		l.LogSharedFileCountLimit = int(*v)
	}
	if v := req.SharedGCFlushReplicasLimit; v != nil {
		l.LogSharedGCFlushReplicasLimit = int(*v)
	}
	var err error
	opts.ServerAddress, err = req.Server.ServerAddress(req.ServerAddress)
	return opts, err
}

// GC dry-runs the server's log GC on ROOT, and with Apply carries the plan
// out. The error is its verdict.
func GC(env *Env, req GCRequest) (*GCReport, error) {
	opts, err := req.options()
	if err != nil {
		return nil, err
	}
	root, err := req.Server.OnePath(req.Paths, "ROOT")
	if err != nil {
		return nil, err
	}
	t, err := req.Server.Resolve(env.read(), root)
	if err != nil {
		return nil, err
	}
	if t.Root == nil || t.Root.SlogDir == "" {
		return nil, fmt.Errorf("%s is a %s; gc needs a data root (the slog and every replica decide together)", t.Path, t.What())
	}
	rep, err := gc.Run(t.Root, opts)
	if err := env.stopped(); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	r := &GCReport{Report: rep}
	if req.Apply {
		var applyErr error
		r.Applied, applyErr = applyGC(env, &req, t, rep)
		// What refused the apply is part of the report.
		rep.Findings = AppendNew(rep.Findings, FindingsOf(applyErr)...)
		if applyErr != nil {
			return r, applyErr
		}
	}
	return r, Verdict(!finding.AnyFatal(rep.Findings) && !(req.Check && rep.Blocked()), rep.Findings)
}

// applyGC carries out rep's plan on t's root: the root's lock first (the
// one migrate takes too), then no process may have files of the root open
// (a running server), then verify must find nothing Pegasus would refuse
// and the replay model no abort, and the slog and the replica dirs must be
// one server's (unless --force), and only then
// reclaim.Apply deletes, through the writable OS, exactly the files the
// plan names, each still as the dry run saw it.
func applyGC(env *Env, req *GCRequest, t *dataroot.Target, rep *gc.Report) (*reclaim.Report, error) {
	r := t.Root
	if r.Path == "" {
		return nil, Usage("--apply needs the data root ([core] data_dir) itself, where its lock file lives")
	}
	lock, err := takeRoot(env, t, "waltool gc --apply")
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	if err := refuseNotOneServer(req.Force, r, rep.Findings, "gc --apply"); err != nil {
		return nil, err
	}
	if !req.Force {
		fatal, err := refusingFindings(env, t)
		if err != nil {
			return nil, err
		}
		fatal = append(fatal, finding.Fatals(rep.Findings)...)
		if len(fatal) > 0 {
			return nil, Refusal(fatal, "gc --apply refused: verify or the replay model finds what Pegasus would refuse, or what waltool could not read (above); deleting logs now could lose what a repair needs (--force to go on)")
		}
	}
	plan := reclaim.Plan{}
	for _, dp := range rep.Plan() {
		d := reclaim.Dir{Path: dp.Dir}
		for _, f := range dp.Files {
			o, err := reclaim.Observe(env.readFS(), f.Path)
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
	applied, err := reclaim.Apply(env.write(), plan, reclaim.Options{Trash: req.Trash})
	if err == nil && applied != nil && applied.Complete {
		env.done()
	}
	return applied, err
}

// printApplied says, file by file, what --apply did and did not do.
func writeApplied(w io.Writer, a *reclaim.Report) {
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

func writeGC(w io.Writer, rep *gc.Report) {
	if rep.ServerDirs != nil {
		writeDirs(w, *rep.ServerDirs)
	}
	rule := "slog rule " + string(rep.Rule)
	if rep.Rule == "" {
		rule = "no slog GC (2.6)"
	}
	fmt.Fprintf(w, "GC dry run, Pegasus %s, %s, logs: %s (nothing is written)\n", rep.ServerVersion, rule, rep.Logs)
	for _, f := range rep.Files {
		who := f.Log
		if f.Gpid != nil {
			who += " " + f.Gpid.String()
		}
		fmt.Fprintf(w, "%-6s %s (%s, %s): %s\n", strings.ToUpper(string(f.Verdict)), f.Path, who, iec.Bytes(f.Size), f.Reason)
		for _, b := range f.BlockedBy {
			fmt.Fprintf(w, "         blocked by %s: needs decree %d, durable decree %d", b.Gpid, b.NeedsDecree, b.DurableDecree)
			if b.PlogMaxCommit != nil {
				fmt.Fprintf(w, ", plog max_commit_on_disk %d", *b.PlogMaxCommit)
			}
			if b.ConfirmedDecree != nil {
				fmt.Fprintf(w, ", duplication confirmed %d", *b.ConfirmedDecree)
			}
			fmt.Fprintln(w)
		}
	}
	if len(rep.Blockers) > 0 {
		fmt.Fprintln(w, "blockers:")
	}
	for _, b := range rep.Blockers {
		fmt.Fprintf(w, "  %s (%s): %s\n", b.Gpid, b.Log, b.Message)
		for _, r := range b.Release {
			fmt.Fprintf(w, "    release: %s\n", r)
		}
		if b.EmergencyCheckpoint {
			fmt.Fprintln(w, "    the server triggers this checkpoint by itself in its next slog GC round")
		}
	}
	if cmd := rep.FlushCommand(); cmd != "" {
		printFlushCommand(w, cmd)
	}
	if len(rep.Checkpoints) > 0 {
		fmt.Fprintf(w, "emergency checkpoints the server triggers: %s (%s)\n", gpidList(rep.Checkpoints), rep.CheckpointsWhy)
	}
	for _, f := range rep.Findings {
		writeFinding(w, f)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	fmt.Fprintf(w, "reclaimable: %s, %s\n", iec.Plural(int64(rep.ReclaimableFiles), "file"), iec.Bytes(rep.ReclaimableBytes))
	for _, d := range rep.Disks {
		fmt.Fprintf(w, "  disk %s: %s, %s\n", d.Disk, iec.Plural(int64(d.Files), "file"), iec.Bytes(d.Bytes))
	}
	if rep.Logs != gc.LogPlog && rep.Rule != "" {
		if rep.SlogEmpties {
			fmt.Fprintf(w, "the slog empties under rule %s\n", rep.Rule)
		} else {
			fmt.Fprintf(w, "the slog does NOT empty under rule %s\n", rep.Rule)
		}
	}
}

// printFlushCommand prints the one shell command that flushes every
// replica a flush releases, and what to fill in when the address is not
// known.
func printFlushCommand(w io.Writer, cmd string) {
	fmt.Fprintln(w, "flush them on the running server, in the Pegasus shell (one command for every replica above; it releases those whose durable decree is short):")
	fmt.Fprintf(w, "  %s\n", cmd)
	if strings.Contains(cmd, "<replica_server_ip") {
		fmt.Fprintln(w, "  (<replica_server_ip...> is the server's address, not on disk: --server-address IP:PORT fills it in)")
	}
}

func gpidList(gs []gpid.Gpid) string {
	s := make([]string, len(gs))
	for i, g := range gs {
		s[i] = g.String()
	}
	return strings.Join(s, ", ")
}
