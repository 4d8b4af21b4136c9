package main

import (
	"bufio"
	"fmt"
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
	"github.com/waltool/waltool/pegasus"
	"github.com/waltool/waltool/vfs"
)

func downgradeCommand(jsonFlag cli.Flag) *cli.Command {
	return &cli.Command{
		Name:      "downgrade",
		Usage:     "make a plog-only root safe to start under Pegasus 2.5, 2.4 or 2.3, proven by replaying what that server does next",
		ArgsUsage: "--to 2.3|2.4|2.5 [ROOT]",
		Description: "A dry run unless --apply: what changes (the slog dir: leftover slog files archived, for 2.3 a " +
			"header-only slog file above every replica's init_offset_in_shared_log), what the target cannot read, " +
			"and the proof on a preview of the result: the target recovers what 2.6 recovers now, and its next " +
			"writes (simulated: the target writing, crashing, restarting) are all found again. With --apply, in " +
			"journaled steps (resume, rollback, status as for the upgrade), then the same proof on the new root, " +
			"rolling back by itself if it fails. See docs/runbook-upgrade.md, \"The way back\".",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "to", Usage: "the version that will start on the root: 2.3, 2.4 or 2.5 (required)"},
			&cli.BoolFlag{Name: "apply", Usage: "carry out the plan"},
			&cli.StringFlag{Name: "slog-archive", Usage: "where leftover slog files go (default: <slog dir>.waltool-downgrade-archive)"},
			&cli.BoolFlag{Name: "force", Usage: "with --apply: go on despite refusals (what the target cannot read, a slog and data dirs that do not look like one server's); never despite a failed proof"},
			&cli.BoolFlag{Name: "restore-slog-archive", Usage: "undo the root's last migrate upgrade instead, when no server has written since (a rollback: the old slog comes back)"},
			&cli.IntFlag{Name: "next-writes", Usage: "writes per replica the proof simulates the target making after the downgrade", Value: 16, Action: clikit.AtLeast("next-writes", 1)},
			&cli.Int64Flag{Name: "seed", Usage: "seed of the simulated writes (lags, torn tails, payloads)", Value: 1, Action: clikit.AtLeast[int64]("seed", 0)},
			jsonFlag,
		}, append(rootFlags(), progressFlag())...),
		Action: runMigrateDowngrade,
	}
}

// downgradeReport is what migrate downgrade reports: printed as text, or
// as the contract's document (downgradeDoc).
type downgradeReport struct {
	OK       bool
	Target   pegasus.Version
	Applied  bool
	Restored bool
	Replicas []downgradeReplica
	Archived []string
	Archive  string
	Preview  *migrate.DowngradeProof
	Proof    *migrate.DowngradeProof
	Findings []finding.Finding
	Journal  *journal.State
	Rollback *journal.Report
	// journalKind is the kind of the run Journal records: "downgrade", or
	// "upgrade" for --restore-slog-archive.
	journalKind string
	plan        *migrate.DowngradePlan
	sources     *dataroot.Sources
}

type downgradeReplica struct {
	Gpid    string
	Dir     string
	Changes []string
	Proof   string
}

func parseTarget(c *cli.Context) (pegasus.Version, error) {
	if !c.IsSet("to") {
		// Not cli's Required: its message is Go's, after the whole help.
		return "", clikit.Usagef(c, "--to is required: the version that will start on the root, 2.3, 2.4 or 2.5")
	}
	v, err := versionFlag(c, "to")
	if err == nil && v == pegasus.V26 {
		err = clikit.Usagef(c, "--to 2.6: the targets are 2.3, 2.4 and 2.5 (2.6 needs `migrate upgrade`)")
	}
	return v, err
}

func runMigrateDowngrade(c *cli.Context) error {
	target, err := parseTarget(c)
	if err != nil {
		return err
	}
	t, err := migrateRoot(c)
	if err != nil {
		return err
	}
	if err := refuseArchiveInside(c, t.Root); err != nil {
		return err
	}
	if c.Bool("apply") {
		command := "waltool migrate downgrade"
		if c.Bool("restore-slog-archive") {
			command += " --restore-slog-archive"
		}
		end, lt, err := beginApply(c, t, command)
		if err != nil {
			return err
		}
		defer end()
		t = lt
	}
	opts := migrate.DowngradeOptions{Target: target, Next: migrate.NextOptions{PerReplica: c.Int("next-writes"), Seed: c.Int64("seed")}}
	notOne := t.Root.NotOneServer()
	bar := newLargeProgress(c, ops.LogBytes(t), "migrate: plan")
	opts.Progress = func(n int64) { bar.Add64(n) }
	plan, err := migrate.PlanDowngrade(t.Root, opts)
	bar.Finish()
	if err != nil {
		return ops.ExplainNotOneServer(env(c), t.Root, notOne, err)
	}
	if c.Bool("restore-slog-archive") {
		return restoreSlogArchive(c, t, plan)
	}
	rep := newDowngradeReport(plan, downgradeArchive(c, t.Root), t.Root)
	rep.Findings = append(notOne, plan.Findings()...)
	fsys, preview, err := plan.Preview()
	if err != nil {
		return err
	}
	if rep.Preview, err = proveDowngrade(c, t, plan, fsys, preview, "migrate: prove (preview)"); err != nil {
		return err
	}
	if !c.Bool("apply") {
		rep.OK = len(plan.Refusals) == 0 && len(notOne) == 0 && rep.Preview.OK
		if err := printDowngrade(c, rep, plan); err != nil {
			return err
		}
		if !rep.OK {
			return ops.Findings("the downgrade to %s is not safe as it stands (above): --apply refuses it", target)
		}
		return nil
	}
	if err := ops.RefuseNotOneServer(c.Bool("force"), t.Root, notOne, "migrate downgrade"); err != nil {
		printDowngrade(c, rep, nil)
		return err
	}
	if !rep.Preview.OK {
		printDowngrade(c, rep, nil)
		return ops.Findings("migrate downgrade refused: its proof fails on the preview (above)")
	}
	if len(plan.Refusals) > 0 && !c.Bool("force") {
		printDowngrade(c, rep, nil)
		return ops.Findings("migrate downgrade refused: %s cannot start safely on what is above; fix it first, or --force", target)
	}
	plan.SlogArchive = rep.Archive
	if err := plan.CheckSpace(writeFS); err != nil {
		return err
	}
	j, err := beginRun(c, t, plan)
	if err != nil {
		return err
	}
	defer j.Close()
	return finishDowngrade(c, t, j, plan, rep)
}

func downgradeArchive(c *cli.Context, r *dataroot.Root) string {
	if d := c.String("slog-archive"); d != "" {
		return filepath.Clean(d)
	}
	return downgradeArchiveDefault(r)
}

func downgradeArchiveDefault(r *dataroot.Root) string {
	return filepath.Clean(r.SlogDir) + ".waltool-downgrade-archive"
}

// finishDowngrade runs (or, resuming, re-runs) the downgrade's steps
// through the journal, proves the new root, and rolls back when the proof
// fails.
func finishDowngrade(c *cli.Context, t *dataroot.Target, j *journal.Journal, plan *migrate.DowngradePlan, rep *downgradeReport) error {
	return runToEnd(c.Context, j, t, func() error {
		return plan.Apply(j, rep.Archive, j.PhaseDone)
	}, func(newRoot *dataroot.Root) (bool, error) {
		proof, err := proveDowngrade(c, t, plan, readOnlyFS, newRoot, "migrate: prove")
		if err != nil {
			return false, err
		}
		rep.Proof, rep.Applied = proof, true
		return proof.OK, nil
	}, func(st *journal.State, rb *journal.Report, proven bool) error {
		rep.Journal, rep.Rollback, rep.OK = st, rb, proven
		return printDowngrade(c, rep, nil)
	}, fmt.Sprintf("%s on the new root does not recover what 2.6 did, or loses its next writes (above)", plan.Target))
}

// restoreSlogArchive undoes the root's last upgrade, when it finished and
// no server has written since: then the old slog is still the truth it
// was, and a rollback brings back the root an older server ran on. The
// runs after that upgrade (downgrades) are rolled back first, newest
// first, as every rollback of the root's history is.
func restoreSlogArchive(c *cli.Context, t *dataroot.Target, plan *migrate.DowngradePlan) error {
	fsys := readOnlyFS
	if c.Bool("apply") {
		fsys = writeFS // the caller holds the lock (beginApply)
	}
	runs, err := migrate.History(fsys, t.Root.Path)
	if err != nil {
		return err
	}
	defer closeRuns(runs)
	if err := refuseForeign(runs); err != nil {
		return fmt.Errorf("--restore-slog-archive: %w", err)
	}
	up := -1 // the last upgrade
	for i := len(runs) - 1; i >= 0 && up < 0; i-- {
		if runs[i].Upgrade() {
			up = i
		}
	}
	if up < 0 {
		return fmt.Errorf("--restore-slog-archive: no waltool upgrade ran on %s, so there is no archive of its to restore; drop the flag: the plogs stay the truth", t.Root.Path)
	}
	st := runs[up].Journal.State()
	switch {
	case st.RolledBack:
		return fmt.Errorf("--restore-slog-archive: the last upgrade of %s was already rolled back; drop the flag", t.Root.Path)
	case !st.Finished:
		return fmt.Errorf("--restore-slog-archive: the last upgrade of %s is unfinished: `waltool migrate rollback` undoes it", t.Root.Path)
	}
	// What is rolled back, newest first: the runs after the upgrade that
	// are not rolled back yet, then the upgrade. Each must find the root as
	// it left it: checked for all of them before anything is undone.
	var undo []int
	for i := len(runs) - 1; i >= up; i-- {
		rst := runs[i].Journal.State()
		if rst.RolledBack {
			continue
		}
		if !rst.Finished && !rst.RollingBack {
			return fmt.Errorf("--restore-slog-archive: the migration %s after the upgrade is unfinished: `waltool migrate resume` finishes it or `waltool migrate rollback` undoes it first", rst.Run)
		}
		if err := refuseWrittenSince(runs, i); err != nil {
			return fmt.Errorf("--restore-slog-archive: %w; drop the flag: the plogs stay the truth", err)
		}
		undo = append(undo, i)
	}
	// Every step of every run it undoes is checked before the first is
	// undone (the dry run checks the same): a rollback refused half-way
	// through would leave the root neither downgraded nor restored.
	js := make([]*journal.Journal, len(undo))
	for k, i := range undo {
		js[k] = runs[i].Journal
	}
	if err := journal.CheckRollback(js...); err != nil {
		return fmt.Errorf("--restore-slog-archive: the rollback would be refused, nothing was changed: %w; drop the flag (the plogs stay the truth), or put back what changed", err)
	}
	var later []string
	for _, i := range undo[:len(undo)-1] {
		later = append(later, runs[i].Journal.Run().String())
	}
	refused := len(plan.Refusals) > 0 && !c.Bool("force")
	if !c.Bool("apply") || refused {
		rep := newDowngradeReport(plan, "", t.Root)
		rep.Findings = plan.Findings()
		w := c.App.Writer
		if !c.Bool("json") {
			for _, f := range rep.Findings {
				printFinding(w, f)
			}
			if len(later) > 0 {
				fmt.Fprintf(w, "--restore-slog-archive (dry run, nothing is written): first a rollback of the %s after the upgrade, newest first: %s\n", iec.Plural(int64(len(later)), "run"), strings.Join(later, "; "))
			}
			fmt.Fprintf(w, "--restore-slog-archive (dry run, nothing is written): a rollback of the upgrade %s, finished %s; no server has written since: the slog comes back from its archive and the folded plog files go; the proof then replays the restored root under %s\n",
				st.Run, st.FinishedAt.Format("2006-01-02 15:04:05"), plan.Target)
		} else if err := printDowngrade(c, rep, plan); err != nil {
			return err
		}
		if len(plan.Refusals) > 0 {
			return ops.Findings("%s cannot start safely on what is above, whatever its logs: --apply refuses (--force to go on)", plan.Target)
		}
		return nil
	}
	rb := &journal.Report{Steps: []journal.Undo{}}
	for _, i := range undo {
		r, err := runs[i].Journal.Rollback()
		if r != nil {
			rb.Steps = append(rb.Steps, r.Steps...)
			rb.Resumed = rb.Resumed || r.Resumed
		}
		if err != nil {
			return fmt.Errorf("--restore-slog-archive: rolling back %s: %w (`waltool migrate rollback` goes on from there)", runs[i].Journal.Run(), err)
		}
	}
	rep := newDowngradeReport(plan, "", t.Root)
	rep.Archived = []string{}
	rep.Restored, rep.Applied, rep.Rollback, rep.journalKind = true, true, rb, "upgrade"
	restored, err := t.Root.Reopen(readOnlyFS)
	if err != nil {
		return err
	}
	if rep.Proof, err = proveDowngrade(c, t, plan, readOnlyFS, restored, "migrate: prove"); err != nil {
		return err
	}
	markDone(c.Context)
	st = runs[up].Journal.State()
	rep.Journal, rep.OK = &st, rep.Proof.OK
	if err := printDowngrade(c, rep, nil); err != nil {
		return err
	}
	if len(later) > 0 && !c.Bool("json") {
		fmt.Fprintf(c.App.Writer, "rolled back first, newest first, the %s after the upgrade: %s\n", iec.Plural(int64(len(later)), "run"), strings.Join(later, "; "))
	}
	if !rep.OK {
		return ops.Findings("the upgrade was rolled back (the slog is restored), but %s does not recover what 2.6 did (above): run `waltool migrate upgrade --apply` again, then downgrade without --restore-slog-archive", plan.Target)
	}
	return nil
}

// proveDowngrade runs the downgrade's proof on root with a progress bar.
func proveDowngrade(c *cli.Context, t *dataroot.Target, plan *migrate.DowngradePlan, fsys vfs.FS, root *dataroot.Root, what string) (*migrate.DowngradeProof, error) {
	bar := newLargeProgress(c, ops.LogBytes(t), what)
	defer bar.Finish()
	return migrate.ProveDowngrade(plan, fsys, root, migrate.Options{Progress: func(n int64) { bar.Add64(n) }})
}

func newDowngradeReport(plan *migrate.DowngradePlan, archive string, root *dataroot.Root) *downgradeReport {
	rep := &downgradeReport{Target: plan.Target, Replicas: []downgradeReplica{}, Archived: []string{}, Archive: archive, Findings: []finding.Finding{},
		plan: plan, sources: &root.Sources}
	for _, r := range plan.Replicas {
		rep.Replicas = append(rep.Replicas, downgradeReplica{Gpid: r.Gpid.String(), Dir: r.Dir, Changes: r.Changes})
	}
	for _, f := range plan.SlogFiles {
		rep.Archived = append(rep.Archived, f.Path)
	}
	return rep
}

// replicaProofs fills each replica's proof verdict from pr's lost writes.
func (rep *downgradeReport) replicaProofs(pr *migrate.DowngradeProof) {
	if pr == nil {
		return
	}
	lost := map[string]int{}
	if pr.Next != nil {
		for _, f := range pr.Next.Lost {
			if f.Gpid != nil {
				lost[f.Gpid.String()]++
			}
		}
	}
	for i := range rep.Replicas {
		r := &rep.Replicas[i]
		switch {
		case !pr.Equal:
			r.Proof = "different"
		case pr.Next != nil && pr.Next.WontStart != "":
			r.Proof = "equal; the target does not start to take writes"
		case lost[r.Gpid] > 0:
			r.Proof = fmt.Sprintf("%d acknowledged writes lost", lost[r.Gpid])
		default:
			r.Proof = "equal; next writes kept"
		}
	}
}

func printDowngrade(c *cli.Context, rep *downgradeReport, plan *migrate.DowngradePlan) error {
	pr := rep.Proof
	if pr == nil {
		pr = rep.Preview
	}
	rep.replicaProofs(pr)
	if c.Bool("json") {
		return emitDoc(c, downgradeDoc(rep))
	}
	w := bufio.NewWriter(c.App.Writer)
	defer w.Flush()
	for _, f := range rep.Findings {
		printFinding(w, f)
	}
	switch {
	case rep.Restored:
		fmt.Fprintf(w, "RESTORED: this was a rollback of the last upgrade (no server wrote since): the slog is back, the folded plog files are gone\n")
	case rep.Applied:
		fmt.Fprintf(w, "DOWNGRADE TO %s APPLIED:\n", rep.Target)
	default:
		fmt.Fprintf(w, "downgrade to %s (dry run, nothing is written):\n", rep.Target)
	}
	if plan != nil {
		switch {
		case plan.SlogStart != nil:
			fmt.Fprintf(w, "  slog: start 2.3's shared log with the header-only file %s (offset %d, at or above every init_offset_in_shared_log: %d)\n",
				plan.SlogStart.Path, plan.SlogStart.StartOffset, plan.SlogStart.Above)
		case plan.CreateSlogDir:
			fmt.Fprintf(w, "  slog: create the empty slog dir %s\n", plan.SlogDir)
		default:
			fmt.Fprintf(w, "  slog: %s opens %s as it is\n", plan.Target, plan.SlogDir)
		}
	}
	if len(rep.Archived) > 0 {
		fmt.Fprintf(w, "  slog: archive %s left in the slog dir to %s (2.6 ignores them; %s would replay them)\n", iec.Plural(int64(len(rep.Archived)), "file"), rep.Archive, rep.Target)
	}
	for _, r := range rep.Replicas {
		what := "no change"
		if len(r.Changes) > 0 {
			what = r.Changes[0]
		}
		fmt.Fprintf(w, "  %-6s %s; proof: %s\n", r.Gpid, what, r.Proof)
	}
	printDowngradeProof(w, "preview", rep.Preview, rep.Target)
	printDowngradeProof(w, "proof", rep.Proof, rep.Target)
	if rep.Journal != nil && rep.Journal.Finished {
		fmt.Fprintln(w, "done: the journal is kept; `waltool migrate rollback` undoes the downgrade until a server writes to the root")
	}
	return nil
}

func printDowngradeProof(w *bufio.Writer, what string, pr *migrate.DowngradeProof, target pegasus.Version) {
	if pr == nil {
		return
	}
	if !pr.Equal {
		fmt.Fprintf(w, "%s: DIFFERENT (-2.6 before +%s after):\n%s%s\n", what, target, pr.Diff, pr.Abort)
		return
	}
	fmt.Fprintf(w, "%s: EQUAL for %s: %s recovers what 2.6 recovers\n", what, iec.Plural(int64(pr.Compared), "replica"), target)
	if n := pr.Next; n != nil && n.WontStart != "" {
		fmt.Fprintf(w, "%s: next writes: FAILED: %s\n", what, n.WontStart)
	} else if n != nil {
		for _, f := range n.Lost {
			printFinding(w, f)
		}
		lag := ""
		if n.Lagged > 0 {
			lag = fmt.Sprintf(", %d of them only in the slog at the crash (the plog lagging), slog writes from offset %d", n.Lagged, n.SlogStart)
		}
		verdict := "every one found again after the restart"
		if len(n.Lost) > 0 {
			verdict = fmt.Sprintf("%d LOST after the restart", len(n.Lost))
		}
		fmt.Fprintf(w, "%s: next writes: %s simulated %d acknowledged writes (%d per replica, seed %d), crashed%s: %s\n",
			what, n.Version, n.Acked, n.PerReplica, n.Seed, lag, verdict)
	}
}
