package main

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/internal/clikit"
	"github.com/waltool/waltool/internal/iec"
	"github.com/waltool/waltool/journal"
	"github.com/waltool/waltool/migrate"
	"github.com/waltool/waltool/ops"
	"github.com/waltool/waltool/schema"
)

func migrateCommand() *cli.Command {
	jsonFlag := &cli.BoolFlag{Name: "json", Usage: "print one JSON document"}
	return &cli.Command{
		Name:  "migrate",
		Usage: "fold the shared log into the private logs (upgrade to a plog-only root), downgrade, resume, roll back, status",
		Description: "Changes a data root's logs offline, the server stopped: upgrade folds the shared log into the " +
			"private logs, so that Pegasus 2.6 loses nothing; downgrade makes a plog-only root safe for 2.5, 2.4 or " +
			"2.3 again. Each is a dry run unless --apply; applied, it takes the root's lock, refuses a running server, " +
			"journals every step in the root and proves its result by replay. resume finishes an interrupted run, " +
			"rollback undoes one byte for byte, status says where the last one stands. The operator's steps are in " +
			"docs/runbook-upgrade.md.",
		Action: clikit.NeedCommand,
		Subcommands: []*cli.Command{{
			Name:      "upgrade",
			Usage:     "fold the slog into new plog files and archive it, so that Pegasus 2.6 recovers what 2.4 did",
			ArgsUsage: "[ROOT]",
			Description: "ROOT is a data root (default: the [core] data_dir of --config). A dry run unless --apply: " +
				"the plan per replica (the slog mutations folded, the new plog files), the slog files to archive, " +
				"what the proof compares. With --apply, in journaled steps: fold, archive, prove (2.6 on the new " +
				"root recovers what 2.4 recovered on the old one), rolling back by itself if the proof fails. " +
				"With --rebalance, replica dirs are moved between the data dirs after the archive (a rename on one " +
				"filesystem, a copy through <dir>.tmp and <dir>.ori across: the server never sees two copies). " +
				"See docs/runbook-upgrade.md.",
			Flags: append([]cli.Flag{
				&cli.BoolFlag{Name: "apply", Usage: "carry out the plan"},
				&cli.StringFlag{Name: "slog-archive", Usage: "where the slog files go (default: beside the slog dir, <slog dir>.waltool-archive)"},
				&cli.BoolFlag{Name: "force", Usage: "with --apply: go on although verify finds what Pegasus would refuse, or the slog and the data dirs do not look like one server's"},
				&cli.BoolFlag{Name: "rebalance", Usage: "also spread the replica dirs over the data dirs by bytes and count, partitions of a table on different data dirs where possible (after the archive, before the proof)"},
				jsonFlag,
			}, append(rootFlags(), progressFlag())...),
			Action: runMigrateUpgrade,
		}, downgradeCommand(jsonFlag), {
			Name:      "resume",
			Usage:     "finish an interrupted upgrade (re-checking what a crash may have torn), then prove it",
			ArgsUsage: "[ROOT]",
			Description: "ROOT is the data root of the interrupted run, upgrade or downgrade (default: the [core] " +
				"data_dir of --config). Takes the root's lock, refuses a running server, checks every step the " +
				"journal (ROOT/.waltool-journal) records as done and skips it (a half-written file is written " +
				"again), does the rest, then proves the result; a failed proof rolls the run back. A journal written in another " +
				"root (this root is a copy of it, or was moved from there) is refused. " +
				"Exit 0 proven, 1 a failed proof (rolled back), 2 usage or I/O errors, a held lock, a running server.",
			Flags:  append([]cli.Flag{jsonFlag}, append(rootFlags(), progressFlag())...),
			Action: runMigrateResume,
		}, {
			Name:      "rollback",
			Usage:     "undo the root's newest migration not rolled back yet (finished or interrupted), byte for byte; again, the one before it",
			ArgsUsage: "[ROOT]",
			Description: "ROOT is the data root of the last run (default: the [core] data_dir of --config). Undoes " +
				"the run from its journal, finished or interrupted, upgrade or downgrade: everything but the " +
				"journal's own dir is as it was before; itself resumable. Refuses, changing nothing, a root a " +
				"server has written to since the run (a rollback would lose those writes: migrate downgrade is the " +
				"way back that keeps them), and one where a file or dir a step would undo is not what the journal " +
				"recorded: every step is checked before the first change; and a journal written in another root (this " +
				"root is a copy of it, or was moved from there). It uses the dirs the run recorded in its journal. When the last command " +
				"on the root was killed before its run began, it asks for --run ID (from migrate status) before it " +
				"undoes the run before. Exit 0 rolled back, 2 refused, usage or I/O errors.",
			Flags: append([]cli.Flag{jsonFlag,
				&cli.StringFlag{Name: "run", Usage: "the ID of the run to undo (migrate status lists them): must be the newest not rolled back; needed when the last command was killed before its run began"},
			}, rootFlags()...),
			Action: runMigrateRollback,
		}, {
			Name:      "status",
			Usage:     "every migration run of the root, oldest first: how each stands, whether it can still be rolled back",
			ArgsUsage: "[ROOT]",
			Description: "ROOT is a data root (default: the [core] data_dir of --config). Read-only: the last run's " +
				"command, each phase done and how long it took, its steps, and whether it finished (and can still be " +
				"rolled back), was interrupted or was rolled back. Exit 0, 2 for usage or I/O errors.",
			Flags:  append([]cli.Flag{jsonFlag}, rootFlags()...),
			Action: runMigrateStatus,
		}},
	}
}

// upgradeReport is what migrate upgrade and resume report: printed as
// text, or as the contract's document (upgradeDoc).
type upgradeReport struct {
	OK                bool
	Applied           bool
	Replicas          []replicaFold
	ArchivedSlogFiles []string
	SlogArchive       string
	Proof             *migrate.Proof
	Journal           *journal.State
	Rollback          *journal.Report
	Findings          []finding.Finding
	NotLoaded         []migrate.NotLoaded
	// Rebalance is the plan's rebalance (--rebalance), nil without it.
	Rebalance *migrate.Rebalance
	plan      *migrate.Plan
	sources   *dataroot.Sources
}

type replicaFold struct {
	Gpid       string
	Folded     int64
	FoldBytes  int64
	BeyondRule int64
	NewFiles   []string
	ToDir      string
}

// migrateRoot resolves the single data root of a migrate command.
func migrateRoot(c *cli.Context) (*dataroot.Target, error) {
	root, err := oneRoot(c)
	if err != nil {
		return nil, err
	}
	t, err := resolve(c, root)
	if err != nil {
		return nil, err
	}
	if t.Root == nil || t.Root.Path == "" || t.Root.SlogDir == "" {
		return nil, clikit.Usagef(c, "%s is a %s; migrate needs a data root ([core] data_dir): its slog, every replica and its journal", t.Path, t.What())
	}
	return t, nil
}

func archiveDir(c *cli.Context, r *dataroot.Root) string {
	if d := c.String("slog-archive"); d != "" {
		return filepath.Clean(d)
	}
	return filepath.Clean(r.SlogDir) + ".waltool-archive"
}

// refuseArchiveInside refuses a --slog-archive inside the slog dir (the
// archive would be read as the slog) or a data dir (the loader would meet
// a dir that is not a replica's).
func refuseArchiveInside(c *cli.Context, r *dataroot.Root) error {
	d := c.String("slog-archive")
	if d == "" {
		return nil
	}
	for _, dir := range append([]string{r.SlogDir}, r.DataDirPaths()...) {
		if within(d, dir) {
			return clikit.Usagef(c, "%s %s is inside %s, which the server reads: put the archive beside it, not in it", clikit.TypedFlag(c, "slog-archive"), d, dir)
		}
	}
	return nil
}

// within reports whether path is dir or under it (both made absolute).
func within(path, dir string) bool {
	p, err1 := filepath.Abs(path)
	d, err2 := filepath.Abs(dir)
	return err1 == nil && err2 == nil && (p == d || strings.HasPrefix(p, d+string(filepath.Separator)))
}

func runMigrateUpgrade(c *cli.Context) error {
	t, err := migrateRoot(c)
	if err != nil {
		return err
	}
	if err := refuseArchiveInside(c, t.Root); err != nil {
		return err
	}
	if c.Bool("apply") {
		end, lt, err := beginApply(c, t, "waltool migrate upgrade")
		if err != nil {
			return err
		}
		defer end()
		t = lt
	}
	notOne := t.Root.NotOneServer()
	bar := newLargeProgress(c, ops.LogBytes(t), "migrate: plan")
	plan, err := migrate.PlanUpgrade(t.Root, migrate.Options{Progress: func(n int64) { bar.Add64(n) }})
	bar.Finish()
	if err != nil {
		return ops.ExplainNotOneServer(env(c), t.Root, notOne, err)
	}
	if c.Bool("rebalance") {
		if err := plan.PlanRebalance(readOnlyFS); err != nil {
			return err
		}
	}
	rep := newUpgradeReport(plan, archiveDir(c, t.Root), t.Root)
	// Slog mutations of a gpid with no loaded replica are folded nowhere:
	// archived, a 2.6 server never sees them. A missing data dir (a root
	// given without --data-dirs or --config) looks exactly like that, so
	// it is a finding, and --apply refuses it unless --force.
	orphans := plan.Findings()
	rep.Findings = append(append(rep.Findings, notOne...), orphans...)
	if !c.Bool("apply") {
		if len(plan.Refusals) > 0 {
			rep.Findings = append(plan.Refusals, rep.Findings...)
			printUpgrade(c, rep, plan)
			return ops.Findings("the 2.4 server refuses what is above: --apply refuses too (fix it first, or --force)")
		}
		if len(orphans) > 0 {
			printUpgrade(c, rep, plan)
			return ops.Findings("%d slog gpids have no loaded replica here: their writes would only be in the archive (--apply refuses; --force to go on)", len(orphans))
		}
		if err := ops.RefuseNotOneServer(c.Bool("force"), t.Root, notOne, "migrate upgrade --apply would be"); err != nil {
			printUpgrade(c, rep, plan)
			return err
		}
		rep.OK = true
		return printUpgrade(c, rep, plan)
	}
	if err := ops.RefuseNotOneServer(c.Bool("force"), t.Root, notOne, "migrate upgrade"); err != nil {
		printUpgrade(c, rep, nil)
		return err
	}
	if !c.Bool("force") {
		if len(plan.Refusals) > 0 {
			rep.Findings = plan.Refusals
			printUpgrade(c, rep, nil)
			return ops.Findings("migrate upgrade refused: the 2.4 server refuses what is above (waltool verify tells more); fix it first, or --force")
		}
		if len(orphans) > 0 {
			printUpgrade(c, rep, nil)
			return ops.Findings("migrate upgrade refused: %d slog gpids have no loaded replica here (above); --force archives their writes unfolded", len(orphans))
		}
	}
	if plan.NothingToDo() {
		// An upgraded root: a run would only be a no-op the next rollback
		// has to undo first.
		rep.OK = true
		if c.Bool("json") {
			return printUpgrade(c, rep, plan)
		}
		fmt.Fprintf(c.App.Writer, "nothing to do: the slog dir %s holds no log file to fold or archive (the root is upgraded already); no run begins\n", plan.SlogDir)
		return nil
	}
	plan.SlogArchive = rep.SlogArchive
	if err := plan.CheckSpace(writeFS); err != nil {
		return err
	}
	j, err := beginRun(c, t, plan)
	if err != nil {
		return err
	}
	defer j.Close()
	return finishUpgrade(c, t, j, plan, rep)
}

// beginApply is how a command that writes a root begins, before it reads
// anything of the root to plan: it takes the root's lock, refuses when a
// run is unfinished (resume or rollback it first) or a process holds the
// root open, records the attempt (journal.BeginAttempt), and opens the
// root again, under the lock. end releases all of it.
func beginApply(c *cli.Context, t *dataroot.Target, command string) (end func(), locked *dataroot.Target, err error) {
	lock, err := ops.LockRoot(env(c), t.Root.Path, command)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			lock.Release()
		}
	}()
	if err := journal.RefuseUnfinished(writeFS, t.Root.Path); err != nil {
		return nil, nil, err
	}
	if locked, err = migrateRoot(c); err != nil {
		return nil, nil, err
	}
	if err := ops.RefuseOpenFiles(env(c), locked.Root); err != nil {
		return nil, nil, err
	}
	endAttempt, err := journal.BeginAttempt(writeFS, t.Root.Path, journal.Attempt{Command: "waltool", Args: commandLine(c)})
	if err != nil {
		return nil, nil, err
	}
	return func() {
		if err := endAttempt(); err != nil {
			fmt.Fprintf(c.App.ErrWriter, "waltool: warning: %v\n", err)
		}
		lock.Release()
	}, locked, nil
}

// beginRun begins a migration run in the root, its plan (an upgrade's or
// a downgrade's) stored in the journal, for resume and rollback.
func beginRun(c *cli.Context, t *dataroot.Target, plan any) (*journal.Journal, error) {
	meta, err := json.Marshal(plan)
	if err != nil {
		return nil, err
	}
	return journal.Begin(writeFS, t.Root.Path, journal.Run{Command: "waltool", Args: commandLine(c), Meta: meta})
}

// commandLine is the command line of c after "waltool", as a run's
// journal records it for status: the command, each flag set, the
// arguments (os.Args is not it when waltool runs inside another program,
// the demo or a test).
func commandLine(c *cli.Context) []string {
	args := strings.Fields(clikit.HelpName(c))[1:]
	for _, f := range c.Command.Flags {
		name := f.Names()[0]
		if !c.IsSet(name) {
			continue
		}
		if v, ok := c.Value(name).(bool); ok && v {
			args = append(args, "--"+name)
			continue
		}
		args = append(args, fmt.Sprintf("--%s=%v", name, c.Value(name)))
	}
	return append(args, c.Args().Slice()...)
}

// finishUpgrade runs (or, resuming, re-runs: every step is idempotent) the
// fold and the archive through the journal, then proves the result, and
// rolls back when the proof fails.
func finishUpgrade(c *cli.Context, t *dataroot.Target, j *journal.Journal, plan *migrate.Plan, rep *upgradeReport) error {
	return runToEnd(c.Context, j, t, func() error {
		fold := newLargeProgress(c, plan.FoldReadBytes(), "migrate: fold")
		defer fold.Finish()
		plan.Progress = func(n int64) { fold.Add64(n) }
		return plan.Apply(cancelFS(c.Context, writeFS), j, rep.SlogArchive, j.PhaseDone)
	}, func(newRoot *dataroot.Root) (bool, error) {
		bar := newLargeProgress(c, ops.LogBytes(t), "migrate: prove")
		proof, err := migrate.ProveWith(plan, newRoot, migrate.Options{Progress: func(n int64) { bar.Add64(n) }})
		bar.Finish()
		if err != nil {
			return false, err
		}
		rep.Proof, rep.Applied = proof, true
		return proof.Equal, nil
	}, func(st *journal.State, rb *journal.Report, proven bool) error {
		rep.Journal, rep.Rollback, rep.OK = st, rb, proven
		return printUpgrade(c, rep, nil)
	}, "2.6 on the new root does not recover what 2.4 did on the old one (diff above)")
}

// runToEnd runs (or, resuming, re-runs: every step is idempotent) a
// migration run's steps, upgrade or downgrade, then ends it: prove proves
// the new root (opened read-only); when it fails the run is rolled back
// and report says so, else the phase "prove" is recorded, the run
// finished, and report prints it. Once the run is finished, or rolled
// back, an interrupt no longer changes the exit status (markDone on ctx).
func runToEnd(ctx context.Context, j *journal.Journal, t *dataroot.Target, apply func() error, prove func(*dataroot.Root) (bool, error), report func(st *journal.State, rb *journal.Report, proven bool) error, failed string) error {
	if err := apply(); err != nil {
		return fmt.Errorf("%w (the journal has what was done: `waltool migrate resume` finishes it, `waltool migrate rollback` undoes it)", err)
	}
	newRoot, err := t.Root.Reopen(readOnlyFS)
	if err != nil {
		return err
	}
	ok, err := prove(newRoot)
	if err != nil {
		return err
	}
	if !ok {
		rb, err := j.Rollback()
		if err == nil {
			markDone(ctx)
		}
		st := j.State()
		report(&st, rb, false)
		if err != nil {
			return fmt.Errorf("the proof failed and the rollback too: %w (run `waltool migrate rollback` again)", err)
		}
		return ops.Findings("the proof failed: %s; rolled back, the root is as it was", failed)
	}
	if err := j.Phase("prove"); err != nil {
		return err
	}
	if err := j.Finish(); err != nil {
		return err
	}
	markDone(ctx)
	st := j.State()
	return report(&st, nil, true)
}

// progressFlag is --progress, for the commands that read a whole root.
func progressFlag() cli.Flag {
	return &cli.BoolFlag{Name: "progress", Value: true, Usage: "show progress bars on stderr when it is a terminal and the root is large"}
}

// openRun takes the root's lock and opens the run a resume finishes or a
// rollback undoes: the newest run not rolled back (journal.Last), and the
// root with the dirs that run recorded (runRoot); release undoes both.
func openRun(c *cli.Context, command string) (t *dataroot.Target, j *journal.Journal, release func(), err error) {
	if t, err = migrateRoot(c); err != nil {
		return nil, nil, nil, err
	}
	lock, err := ops.LockRoot(env(c), t.Root.Path, command)
	if err != nil {
		return nil, nil, nil, err
	}
	defer func() {
		if err != nil {
			lock.Release()
		}
	}()
	if j, err = journal.Last(writeFS, t.Root.Path); err != nil {
		return nil, nil, nil, err
	}
	// Before the run's dirs are opened: those of a journal written for
	// another root are that root's.
	if err = j.Foreign(); err == nil {
		t, err = runRoot(c, t, j)
	}
	if err == nil {
		err = ops.RefuseOpenFiles(env(c), t.Root)
	}
	if err != nil {
		j.Close()
		return nil, nil, nil, err
	}
	return t, j, func() { j.Close(); lock.Release() }, nil
}

// runRoot is the root opened with the slog dir and data dirs the run of
// j recorded in its plan, whatever the command line says: a resume given
// only ROOT must not see the default data dir alone. Root flags the
// operator did give must name the same dirs, or the command is refused,
// both named. t is the root the command line names.
func runRoot(c *cli.Context, t *dataroot.Target, j *journal.Journal) (*dataroot.Target, error) {
	dirs, err := migrate.DirsOf(j.Meta())
	if err != nil {
		return nil, err
	}
	for _, f := range []string{"config", "slog-dir", "data-dirs"} {
		if !c.IsSet(f) {
			continue
		}
		if why := dirs.Mismatch(t.Root); why != "" {
			return nil, clikit.Usagef(c, "the root flags name other dirs than the run %s used: %s; drop the flags (the run's dirs are in its journal) or name the same ones", j.Run(), why)
		}
		break
	}
	r, err := dirs.Open(readOnlyFS, t.Root.Path)
	if err != nil {
		return nil, err
	}
	r.Sources.Root = t.Root.Sources.Root
	return &dataroot.Target{Kind: dataroot.RootTarget, Path: t.Path, Root: r}, nil
}

func runMigrateResume(c *cli.Context) error {
	t, j, release, err := openRun(c, "waltool migrate resume")
	if errors.Is(err, journal.ErrNoRun) {
		// Nothing ran, or every run is rolled back: nothing to resume.
		if c.Bool("json") {
			return emitDoc(c, &schema.Status{Runs: []schema.Run{}})
		}
		fmt.Fprintf(c.App.Writer, "nothing to resume: %v\n", err)
		return nil
	}
	if err != nil {
		return err
	}
	defer release()
	st := j.State()
	switch {
	case st.RollingBack:
		return fmt.Errorf("the migration %s of %s was being rolled back: finish that with `waltool migrate rollback`", st.Run, t.Root.Path)
	case st.Finished:
		if c.Bool("json") {
			return emitDoc(c, &schema.Status{Runs: []schema.Run{*ops.RunDoc(&st, ops.KindOf(j.Meta()))}})
		}
		fmt.Fprintf(c.App.Writer, "the last migration of %s is finished: nothing to resume\n", t.Root.Path)
		return nil
	}
	var kind struct {
		Kind string `json:"kind"`
	}
	if err := json.Unmarshal(j.Meta(), &kind); err != nil {
		return fmt.Errorf("the journal's plan does not decode: %w", err)
	}
	if kind.Kind == migrate.KindDowngrade {
		var plan migrate.DowngradePlan
		if err := json.Unmarshal(j.Meta(), &plan); err != nil {
			return fmt.Errorf("the journal's plan does not decode: %w", err)
		}
		rep := newDowngradeReport(&plan, cmp.Or(plan.SlogArchive, archiveFromSteps(j, downgradeArchiveDefault(t.Root))), t.Root)
		return finishDowngrade(c, t, j, &plan, rep)
	}
	var plan migrate.Plan
	if err := json.Unmarshal(j.Meta(), &plan); err != nil {
		return fmt.Errorf("the journal's plan does not decode: %w", err)
	}
	rep := newUpgradeReport(&plan, cmp.Or(plan.SlogArchive, archiveFromSteps(j, filepath.Clean(t.Root.SlogDir)+".waltool-archive")), t.Root)
	return finishUpgrade(c, t, j, &plan, rep)
}

// archiveFromSteps is where the interrupted run archived its slog files,
// for a journal older than Plan.SlogArchive: the destination of its first
// Move step, or def when it moved none yet.
func archiveFromSteps(j *journal.Journal, def string) string {
	for _, s := range j.State().Steps {
		if s.Op == journal.OpMove {
			return filepath.Dir(s.Path)
		}
	}
	return def
}

// runMigrateRollback undoes the newest run not rolled back, byte for byte;
// called again, the one before it (the root's history, newest first). It
// says which run it undoes; when the last command on the root was killed
// before its run began (a journal.Attempt left behind), the run it would
// undo is not that command's, and it asks for --run ID to confirm.
func runMigrateRollback(c *cli.Context) error {
	t, err := migrateRoot(c)
	if err != nil {
		return err
	}
	lock, err := ops.LockRoot(env(c), t.Root.Path, "waltool migrate rollback")
	if err != nil {
		return err
	}
	defer lock.Release()
	runs, err := migrate.History(writeFS, t.Root.Path)
	if err != nil {
		return err
	}
	defer closeRuns(runs)
	if err := refuseForeign(runs); err != nil {
		return err
	}
	i := lastNotRolledBack(runs)
	switch {
	case len(runs) == 0:
		return fmt.Errorf("%w: %s", journal.ErrNoRun, t.Root.Path)
	case i < 0:
		if c.Bool("json") {
			st := runs[len(runs)-1].Journal.State()
			return emitDoc(c, &schema.RollbackDoc{Rollback: ops.RollbackDoc(&journal.Report{Steps: []journal.Undo{}, AlreadyRolledBack: true}),
				Journal: ops.RunDoc(&st, ops.KindOf(runs[len(runs)-1].Journal.Meta()))})
		}
		fmt.Fprintf(c.App.Writer, "nothing to roll back: every migration of %s is rolled back (`waltool migrate status` lists them)\n", t.Root.Path)
		return nil
	}
	j := runs[i].Journal
	if err := confirmRollback(c, t.Root.Path, j); err != nil {
		return err
	}
	rt, err := runRoot(c, t, j)
	if err == nil {
		err = ops.RefuseOpenFiles(env(c), rt.Root)
	}
	if err != nil {
		return err
	}
	if err := refuseWrittenSince(runs, i); err != nil {
		return err
	}
	fmt.Fprintf(c.App.ErrWriter, "waltool: rolling back the %s %s\n", ops.KindOf(j.Meta()), j.Run())
	rb, err := j.Rollback()
	if err == nil {
		markDone(c.Context)
		err = journal.ForgetAttempt(writeFS, t.Root.Path)
	}
	st := j.State()
	if c.Bool("json") {
		emitDoc(c, &schema.RollbackDoc{Rollback: ops.RollbackDoc(rb), Journal: ops.RunDoc(&st, ops.KindOf(j.Meta()))})
	} else if rb != nil {
		printRollback(c.App.Writer, rb, st)
		if k := lastNotRolledBack(runs); err == nil && k >= 0 {
			fmt.Fprintf(c.App.Writer, "next: the run before it, %s, can be rolled back by `waltool migrate rollback` again\n", runs[k].Journal.Run())
		}
	}
	return err
}

// confirmRollback checks --run against the run j a rollback would undo:
// a --run naming another run is refused (runs are undone newest first),
// and without --run a command left behind as an attempt (killed before
// its run began, so nothing of it to undo) makes the rollback ask for it.
func confirmRollback(c *cli.Context, root string, j *journal.Journal) error {
	id := j.Run().ID
	if want := c.String("run"); want != "" {
		if want != id {
			return clikit.Usagef(c, "--run %s: the run a rollback undoes now is %s, %s (runs are undone newest first; `waltool migrate status` lists them)", want, id, j.Run())
		}
		return nil
	}
	a, err := journal.LastAttempt(readOnlyFS, root)
	if err != nil || a == nil {
		return err
	}
	return clikit.Usagef(c, "the last command on the root, %s, stopped before it changed anything: there is nothing of it to undo; a rollback now would undo the run before it, the %s %s; to do that, run it again with --run %s",
		a, ops.KindOf(j.Meta()), j.Run(), id)
}

// lastNotRolledBack is the index of the newest run of runs not rolled
// back, -1 when every one is.
func lastNotRolledBack(runs []*migrate.Run) int {
	for i := len(runs) - 1; i >= 0; i-- {
		if !runs[i].Journal.State().RolledBack {
			return i
		}
	}
	return -1
}

// refuseForeign refuses a history holding a run written for another root
// (journal.ForeignError: this root is a copy of that one, or was moved
// from there): its steps name that root's files.
func refuseForeign(runs []*migrate.Run) error {
	for _, r := range runs {
		if err := r.Journal.Foreign(); err != nil {
			return err
		}
	}
	return nil
}

func closeRuns(runs []*migrate.Run) {
	for _, r := range runs {
		r.Journal.Close()
	}
}

// refuseWrittenSince refuses to roll back runs[i] after a server wrote to
// the root since it began (migrate.WrittenSince): the rollback would lose
// those writes (the way back is then `migrate downgrade`, which keeps the
// plogs as the truth).
func refuseWrittenSince(runs []*migrate.Run, i int) error {
	written, err := migrate.WrittenSince(readOnlyFS, runs, i)
	if err != nil {
		return err
	}
	if len(written) > 0 {
		return fmt.Errorf("refusing to roll back: a server has written to the root since the run (%s): a rollback would lose those writes; `waltool migrate downgrade` is the way back that keeps them", strings.Join(written, "; "))
	}
	return nil
}

// runMigrateStatus lists every migration run of the root, oldest first:
// its command and start, its phases, its steps, how it ended, and whether
// it can still be rolled back. --json prints the newest run's state.
func runMigrateStatus(c *cli.Context) error {
	t, err := migrateRoot(c)
	if err != nil {
		return err
	}
	runs, err := migrate.History(readOnlyFS, t.Root.Path)
	if err != nil {
		return err
	}
	defer closeRuns(runs)
	if c.Bool("json") {
		return emitDoc(c, statusDoc(runs))
	}
	if len(runs) == 0 {
		fmt.Fprintf(c.App.Writer, "no migration has run on %s\n", t.Root.Path)
		return nil
	}
	w := c.App.Writer
	if len(runs) > 1 {
		fmt.Fprintf(w, "%d migrations ran on %s, oldest first; rollback undoes them newest first:\n", len(runs), t.Root.Path)
	}
	newest := lastNotRolledBack(runs)
	for i, r := range runs {
		st := r.Journal.State()
		if len(runs) > 1 {
			fmt.Fprintf(w, "\n%d. ", i+1)
		}
		fmt.Fprintf(w, "run: %s\n", st.Run)
		fmt.Fprintf(w, "phases done: %s\n", orNone(phasesTook(st)))
		fmt.Fprintf(w, "steps: %d done, %d pending\n", st.StepsDone, st.StepsPending)
		var foreign *journal.ForeignError
		switch {
		case errors.As(r.Journal.Foreign(), &foreign):
			// The state the journal records is the run's in the other
			// root (or was, for a copy): not this root's.
			fmt.Fprintf(w, "WRITTEN FOR ANOTHER ROOT (its journal says %s): %s\n", ops.RunState(&st), foreign.Explain())
		case st.RolledBack:
			fmt.Fprintf(w, "ROLLED BACK at %s: the root is as it was before the run\n", st.RolledBackAt.Format("2006-01-02 15:04:05"))
		case st.RollingBack:
			fmt.Fprintf(w, "ROLLING BACK, interrupted (%d steps undone): `waltool migrate rollback` finishes it\n", st.StepsUndone)
		case st.Finished:
			fmt.Fprintf(w, "FINISHED at %s: proven; %s\n", st.FinishedAt.Format("2006-01-02 15:04:05"), canRollBack(runs, i, newest))
		default:
			fmt.Fprintln(w, "INTERRUPTED: `waltool migrate resume` finishes it, `waltool migrate rollback` undoes it")
		}
	}
	return nil
}

// statusDoc is the status document: every run, newest first (the
// contract's order), each finished one with whether rollback can still
// undo it (now, or once the runs after it are rolled back) or why not.
func statusDoc(runs []*migrate.Run) *schema.Status {
	d := &schema.Status{Runs: []schema.Run{}}
	for i := len(runs) - 1; i >= 0; i-- {
		st := runs[i].Journal.State()
		kind := "upgrade"
		if !runs[i].Upgrade() {
			kind = runs[i].Kind
		}
		run := ops.RunDoc(&st, kind)
		possible := st.Finished && !st.RolledBack
		var foreign *journal.ForeignError
		if errors.As(runs[i].Journal.Foreign(), &foreign) {
			possible, run.RollbackRefused = false, foreign.Explain()
		}
		if possible {
			if err := refuseWrittenSince(runs, i); err != nil {
				possible, run.RollbackRefused = false, err.Error()
			}
		}
		run.RollbackPossible = &possible
		d.Runs = append(d.Runs, *run)
	}
	return d
}

// canRollBack says whether the finished runs[i] can still be rolled back;
// newest is the newest run not rolled back, the one rollback undoes next.
func canRollBack(runs []*migrate.Run, i, newest int) string {
	if err := refuseWrittenSince(runs, i); err != nil {
		return fmt.Sprintf("rollback is no longer possible: %v", err)
	}
	if i == newest {
		return "`waltool migrate rollback` can still undo it (no server has written to the root since, by the log files' names and sizes; the rollback checks every checksum before its first change)"
	}
	n := 0
	for _, r := range runs[i+1:] {
		if !r.Journal.State().RolledBack {
			n++
		}
	}
	return fmt.Sprintf("`waltool migrate rollback` can still undo it once every run after it (%d) is rolled back, newest first (no server has written to the root since)", n)
}

// phasesTook names each phase done with the time since the one before
// (the first: since the run began); a resumed run's pause counts in it.
func phasesTook(st journal.State) []string {
	out := make([]string, len(st.Phases))
	prev := st.Run.Started
	for i, p := range st.Phases {
		out[i] = p
		if i < len(st.PhaseTimes) && !prev.IsZero() {
			out[i] = fmt.Sprintf("%s (%.2f s)", p, st.PhaseTimes[i].Sub(prev).Seconds())
			prev = st.PhaseTimes[i]
		}
	}
	return out
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}

func newUpgradeReport(plan *migrate.Plan, archive string, root *dataroot.Root) *upgradeReport {
	rep := &upgradeReport{Replicas: []replicaFold{}, ArchivedSlogFiles: []string{}, SlogArchive: archive, Findings: []finding.Finding{},
		NotLoaded: plan.NotLoaded, Rebalance: plan.Rebalance, plan: plan, sources: &root.Sources}
	if rep.NotLoaded == nil {
		rep.NotLoaded = []migrate.NotLoaded{}
	}
	for _, rp := range plan.Replicas {
		rf := replicaFold{Gpid: rp.Gpid.String(), Folded: rp.Fold, FoldBytes: rp.FoldBytes, BeyondRule: rp.BeyondRule,
			NewFiles: []string{}, ToDir: rp.PlogDir}
		for _, f := range rp.NewFiles {
			rf.NewFiles = append(rf.NewFiles, f.Path)
		}
		rep.Replicas = append(rep.Replicas, rf)
	}
	for _, f := range plan.SlogFiles {
		rep.ArchivedSlogFiles = append(rep.ArchivedSlogFiles, f.Path)
	}
	return rep
}

func printUpgrade(c *cli.Context, rep *upgradeReport, plan *migrate.Plan) error {
	if c.Bool("json") {
		return emitDoc(c, upgradeDoc(rep))
	}
	w := bufio.NewWriter(c.App.Writer)
	defer w.Flush()
	for _, f := range rep.Findings {
		printFinding(w, f)
	}
	if rep.Applied {
		fmt.Fprintln(w, "UPGRADE APPLIED:")
	} else if plan != nil {
		fmt.Fprintf(w, "upgrade plan (dry run, nothing is written): fold %s from the slog into the plogs, archive %s\n",
			iec.Plural(plan.FoldMutations, "mutation"), iec.Plural(int64(len(plan.SlogFiles)), "slog file"))
	}
	for _, r := range rep.Replicas {
		if r.Folded == 0 {
			fmt.Fprintf(w, "  %-6s nothing to fold (%s holds everything)\n", r.Gpid, r.ToDir)
			continue
		}
		extra := ""
		if r.BeyondRule > 0 {
			extra = fmt.Sprintf(", %d of them beyond the server's append rule (its replay uses them)", r.BeyondRule)
		}
		fmt.Fprintf(w, "  %-6s fold %s (%s)%s into %s\n", r.Gpid, iec.Plural(r.Folded, "mutation"), iec.Bytes(r.FoldBytes), extra, strings.Join(r.NewFiles, ", "))
	}
	for _, n := range rep.NotLoaded {
		fmt.Fprintf(w, "  %-6s not loaded by the server, nothing folded: %s\n", n.Gpid, n.Reason)
	}
	fmt.Fprintf(w, "slog: %s archived to %s\n", iec.Plural(int64(len(rep.ArchivedSlogFiles)), "file"), rep.SlogArchive)
	printRebalance(w, rep.Rebalance)
	switch {
	case rep.Proof == nil:
		fmt.Fprintln(w, "proof: after --apply, every replica's state under 2.6 on the new root (committed decree, ballot, prepared decrees, recovered stream hash) must equal its state under 2.4 on the old root")
	case rep.Proof.Equal:
		fmt.Fprintf(w, "proof: EQUAL for %s: 2.6 on the new root recovers what 2.4 recovered on the old one\n", iec.Plural(int64(rep.Proof.Compared), "replica"))
	default:
		fmt.Fprintf(w, "proof: DIFFERENT (-2.4 before +2.6 after):\n%s\n", rep.Proof.Diff)
	}
	if rep.Rollback != nil {
		printRollback(w, rep.Rollback, *rep.Journal)
	}
	if rep.Journal != nil && rep.Journal.Finished {
		fmt.Fprintln(w, "done: the journal is kept; `waltool migrate rollback` undoes the upgrade until the server writes to the root")
	}
	return nil
}

// printRollback says what a rollback did. Only a run the journal records
// rolled back is said to be as it was: a rollback that failed or was
// refused (its error on stderr) says that it did not complete.
func printRollback(w io.Writer, rb *journal.Report, st journal.State) {
	switch {
	case rb.AlreadyRolledBack:
		fmt.Fprintln(w, "already rolled back: nothing to do")
	case st.RolledBack:
		fmt.Fprintf(w, "rolled back %s: the root is byte for byte as it was before the run\n", iec.Plural(int64(len(rb.Steps)), "step"))
	case st.RollingBack:
		fmt.Fprintf(w, "rollback NOT clikit.Complete: %d of %s undone, the root is not as it was before the run; once the cause (above or on stderr) is fixed, `waltool migrate rollback` completes it\n",
			st.StepsUndone, iec.Plural(int64(len(st.Steps)), "step"))
	default:
		fmt.Fprintln(w, "rollback refused before its first change: nothing was undone (the cause is above or on stderr)")
	}
}
