package ops

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/internal/iec"
	"github.com/waltool/waltool/journal"
	"github.com/waltool/waltool/migrate"
	"github.com/waltool/waltool/pegasus"
	"github.com/waltool/waltool/schema"
	"github.com/waltool/waltool/vfs"
)

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

func (m *migration) archiveDir(r *dataroot.Root) string {
	if d := m.req.SlogArchive; d != "" {
		return filepath.Clean(d)
	}
	return filepath.Clean(r.SlogDir) + ".waltool-archive"
}

// refuseArchiveInside refuses a --slog-archive inside the slog dir (the
// archive would be read as the slog) or a data dir (the loader would meet
// a dir that is not a replica's).
func (m *migration) refuseArchiveInside(r *dataroot.Root) error {
	d := m.req.SlogArchive
	if d == "" {
		return nil
	}
	for _, dir := range append([]string{r.SlogDir}, r.DataDirPaths()...) {
		if within(d, dir) {
			return Usage("%s %s is inside %s, which the server reads: put the archive beside it, not in it", "--slog-archive", d, dir)
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

func (m *migration) upgrade() error {
	t, err := m.root()
	if err != nil {
		return err
	}
	if err := m.refuseArchiveInside(t.Root); err != nil {
		return err
	}
	if m.req.Apply {
		end, lt, err := m.beginApply(t, "waltool migrate upgrade")
		if err != nil {
			return err
		}
		defer end()
		t = lt
	}
	notOne := t.Root.NotOneServer()
	bar := m.large2(logBytes(t), "migrate: plan")
	plan, err := migrate.PlanUpgrade(t.Root, migrate.Options{Progress: func(n int64) { bar.Add64(n) }})
	bar.Finish()
	if err != nil {
		return explainNotOneServer(m.Env, t.Root, notOne, err)
	}
	if m.req.Rebalance {
		if err := plan.PlanRebalance(m.readFS()); err != nil {
			return err
		}
	}
	rep := newUpgradeReport(plan, m.archiveDir(t.Root), t.Root)
	// Slog mutations of a gpid with no loaded replica are folded nowhere:
	// archived, a 2.6 server never sees them. A missing data dir (a root
	// given without --data-dirs or --config) looks exactly like that, so
	// it is a finding, and --apply refuses it unless --force.
	orphans := plan.Findings()
	rep.Findings = append(append(rep.Findings, notOne...), orphans...)
	if !m.req.Apply {
		if len(plan.Refusals) > 0 {
			rep.Findings = append(plan.Refusals, rep.Findings...)
			m.showUpgrade(rep, plan)
			return Findings("the 2.4 server refuses what is above: --apply refuses too (fix it first, or --force)")
		}
		if len(orphans) > 0 {
			m.showUpgrade(rep, plan)
			return Findings("%d slog gpids have no loaded replica here: their writes would only be in the archive (--apply refuses; --force to go on)", len(orphans))
		}
		if err := refuseNotOneServer(m.req.Force, t.Root, notOne, "migrate upgrade --apply would be"); err != nil {
			m.showUpgrade(rep, plan)
			return err
		}
		rep.OK = true
		return m.showUpgrade(rep, plan)
	}
	if err := refuseNotOneServer(m.req.Force, t.Root, notOne, "migrate upgrade"); err != nil {
		m.showUpgrade(rep, nil)
		return err
	}
	if !m.req.Force {
		if len(plan.Refusals) > 0 {
			rep.Findings = plan.Refusals
			m.showUpgrade(rep, nil)
			return Findings("migrate upgrade refused: the 2.4 server refuses what is above (waltool verify tells more); fix it first, or --force")
		}
		if len(orphans) > 0 {
			m.showUpgrade(rep, nil)
			return Findings("migrate upgrade refused: %d slog gpids have no loaded replica here (above); --force archives their writes unfolded", len(orphans))
		}
	}
	if plan.NothingToDo() {
		// An upgraded root: a run would only be a no-op the next rollback
		// has to undo first.
		rep.OK = true
		m.showUpgrade(rep, plan)
		m.report = &noted{Report: m.report, text: fmt.Sprintf("nothing to do: the slog dir %s holds no log file to fold or archive (the root is upgraded already); no run begins\n", plan.SlogDir)}
		return nil
	}
	plan.SlogArchive = rep.SlogArchive
	if err := plan.CheckSpace(m.writeFS()); err != nil {
		return err
	}
	j, err := m.beginRun(t, plan)
	if err != nil {
		return err
	}
	defer j.Close()
	return m.finishUpgrade(t, j, plan, rep)
}

// beginApply is how a command that writes a root begins, before it reads
// anything of the root to plan: it takes the root's lock, refuses when a
// run is unfinished (resume or rollback it first) or a process holds the
// root open, records the attempt (journal.BeginAttempt), and opens the
// root again, under the lock. end releases all of it.
func (m *migration) beginApply(t *dataroot.Target, command string) (end func(), locked *dataroot.Target, err error) {
	lock, err := lockRoot(m.Env, t.Root.Path, command)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		if err != nil {
			lock.Release()
		}
	}()
	if err := journal.RefuseUnfinished(m.writeFS(), t.Root.Path); err != nil {
		return nil, nil, err
	}
	if locked, err = m.root(); err != nil {
		return nil, nil, err
	}
	if err := refuseOpenFiles(m.Env, locked.Root); err != nil {
		return nil, nil, err
	}
	endAttempt, err := journal.BeginAttempt(m.writeFS(), t.Root.Path, journal.Attempt{Command: "waltool", Args: m.CommandLine})
	if err != nil {
		return nil, nil, err
	}
	return func() {
		if err := endAttempt(); err != nil {
			fmt.Fprintf(m.warn(), "waltool: warning: %v\n", err)
		}
		lock.Release()
	}, locked, nil
}

// beginRun begins a migration run in the root, its plan (an upgrade's or
// a downgrade's) stored in the journal, for resume and rollback.
func (m *migration) beginRun(t *dataroot.Target, plan any) (*journal.Journal, error) {
	meta, err := json.Marshal(plan)
	if err != nil {
		return nil, err
	}
	return journal.Begin(m.writeFS(), t.Root.Path, journal.Run{Command: "waltool", Args: m.CommandLine, Meta: meta})
}

// finishUpgrade runs (or, resuming, re-runs: every step is idempotent) the
// fold and the archive through the journal, then proves the result, and
// rolls back when the proof fails.
func (m *migration) finishUpgrade(t *dataroot.Target, j *journal.Journal, plan *migrate.Plan, rep *upgradeReport) error {
	return m.runToEnd(j, t, func() error {
		fold := m.large2(plan.FoldReadBytes(), "migrate: fold")
		defer fold.Finish()
		plan.Progress = func(n int64) { fold.Add64(n) }
		return plan.Apply(m.write(), j, rep.SlogArchive, j.PhaseDone)
	}, func(newRoot *dataroot.Root) (bool, error) {
		bar := m.large2(logBytes(t), "migrate: prove")
		proof, err := migrate.ProveWith(plan, newRoot, migrate.Options{Progress: func(n int64) { bar.Add64(n) }})
		bar.Finish()
		if err != nil {
			return false, err
		}
		rep.Proof, rep.Applied = proof, true
		return proof.Equal, nil
	}, func(st *journal.State, rb *journal.Report, proven bool) error {
		rep.Journal, rep.Rollback, rep.OK = st, rb, proven
		return m.showUpgrade(rep, nil)
	}, "2.6 on the new root does not recover what 2.4 did on the old one (diff above)")
}

// runToEnd runs (or, resuming, re-runs: every step is idempotent) a
// migration run's steps, upgrade or downgrade, then ends it: prove proves
// the new root (opened read-only); when it fails the run is rolled back
// and report says so, else the phase "prove" is recorded, the run
// finished, and report prints it. Once the run is finished, or rolled
// back, an interrupt no longer changes the exit status (markDone on ctx).
func (m *migration) runToEnd(j *journal.Journal, t *dataroot.Target, apply func() error, prove func(*dataroot.Root) (bool, error), report func(st *journal.State, rb *journal.Report, proven bool) error, failed string) error {
	if err := apply(); err != nil {
		return fmt.Errorf("%w (the journal has what was done: `waltool migrate resume` finishes it, `waltool migrate rollback` undoes it)", err)
	}
	newRoot, err := t.Root.Reopen(m.readFS())
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
			m.done()
		}
		st := j.State()
		report(&st, rb, false)
		if err != nil {
			return fmt.Errorf("the proof failed and the rollback too: %w (run `waltool migrate rollback` again)", err)
		}
		return Findings("the proof failed: %s; rolled back, the root is as it was", failed)
	}
	if err := j.Phase("prove"); err != nil {
		return err
	}
	if err := j.Finish(); err != nil {
		return err
	}
	m.done()
	st := j.State()
	return report(&st, nil, true)
}

// openRun takes the root's lock and opens the run a resume finishes or a
// rollback undoes: the newest run not rolled back (journal.Last), and the
// root with the dirs that run recorded (runRoot); release undoes both.
func (m *migration) openRun(command string) (t *dataroot.Target, j *journal.Journal, release func(), err error) {
	if t, err = m.root(); err != nil {
		return nil, nil, nil, err
	}
	lock, err := lockRoot(m.Env, t.Root.Path, command)
	if err != nil {
		return nil, nil, nil, err
	}
	defer func() {
		if err != nil {
			lock.Release()
		}
	}()
	if j, err = journal.Last(m.writeFS(), t.Root.Path); err != nil {
		return nil, nil, nil, err
	}
	// Before the run's dirs are opened: those of a journal written for
	// another root are that root's.
	if err = j.Foreign(); err == nil {
		t, err = m.runRoot(t, j)
	}
	if err == nil {
		err = refuseOpenFiles(m.Env, t.Root)
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
func (m *migration) runRoot(t *dataroot.Target, j *journal.Journal) (*dataroot.Target, error) {
	dirs, err := migrate.DirsOf(j.Meta())
	if err != nil {
		return nil, err
	}
	if m.req.Server.NamesDirs() {
		if why := dirs.Mismatch(t.Root); why != "" {
			return nil, Usage("the root flags name other dirs than the run %s used: %s; drop the flags (the run's dirs are in its journal) or name the same ones", j.Run(), why)
		}
	}
	r, err := dirs.Open(m.readFS(), t.Root.Path)
	if err != nil {
		return nil, err
	}
	r.Sources.Root = t.Root.Sources.Root
	return &dataroot.Target{Kind: dataroot.RootTarget, Path: t.Path, Root: r}, nil
}

func (m *migration) resume() error {
	t, j, release, err := m.openRun("waltool migrate resume")
	if errors.Is(err, journal.ErrNoRun) {
		// Nothing ran, or every run is rolled back: nothing to resume.
		m.report = &noted{Report: &docReport{&schema.Status{Runs: []schema.Run{}}}, text: fmt.Sprintf("nothing to resume: %v\n", err)}
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
		m.report = &noted{Report: &docReport{&schema.Status{Runs: []schema.Run{*runDoc(&st, kindOf(j.Meta()))}}},
			text: fmt.Sprintf("the last migration of %s is finished: nothing to resume\n", t.Root.Path)}
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
		return m.finishDowngrade(t, j, &plan, rep)
	}
	var plan migrate.Plan
	if err := json.Unmarshal(j.Meta(), &plan); err != nil {
		return fmt.Errorf("the journal's plan does not decode: %w", err)
	}
	rep := newUpgradeReport(&plan, cmp.Or(plan.SlogArchive, archiveFromSteps(j, filepath.Clean(t.Root.SlogDir)+".waltool-archive")), t.Root)
	return m.finishUpgrade(t, j, &plan, rep)
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
func (m *migration) rollback() error {
	t, err := m.root()
	if err != nil {
		return err
	}
	lock, err := lockRoot(m.Env, t.Root.Path, "waltool migrate rollback")
	if err != nil {
		return err
	}
	defer lock.Release()
	runs, err := migrate.History(m.writeFS(), t.Root.Path)
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
		st := runs[len(runs)-1].Journal.State()
		m.report = &noted{Report: &docReport{&schema.RollbackDoc{Rollback: rollbackDoc(&journal.Report{Steps: []journal.Undo{}, AlreadyRolledBack: true}),
			Journal: runDoc(&st, kindOf(runs[len(runs)-1].Journal.Meta()))}},
			text: fmt.Sprintf("nothing to roll back: every migration of %s is rolled back (`waltool migrate status` lists them)\n", t.Root.Path)}
		return nil
	}
	j := runs[i].Journal
	if err := m.confirmRollback(t.Root.Path, j); err != nil {
		return err
	}
	rt, err := m.runRoot(t, j)
	if err == nil {
		err = refuseOpenFiles(m.Env, rt.Root)
	}
	if err != nil {
		return err
	}
	if err := refuseWrittenSince(m.readFS(), runs, i); err != nil {
		return err
	}
	fmt.Fprintf(m.warn(), "waltool: rolling back the %s %s\n", kindOf(j.Meta()), j.Run())
	rb, err := j.Rollback()
	if err == nil {
		m.done()
		err = journal.ForgetAttempt(m.writeFS(), t.Root.Path)
	}
	st := j.State()
	var text strings.Builder
	if rb != nil {
		writeRollback(&text, rb, st)
		if k := lastNotRolledBack(runs); err == nil && k >= 0 {
			fmt.Fprintf(&text, "next: the run before it, %s, can be rolled back by `waltool migrate rollback` again\n", runs[k].Journal.Run())
		}
	}
	m.report = &noted{Report: &docReport{&schema.RollbackDoc{Rollback: rollbackDoc(rb), Journal: runDoc(&st, kindOf(j.Meta()))}}, text: text.String()}
	return err
}

// confirmRollback checks --run against the run j a rollback would undo:
// a --run naming another run is refused (runs are undone newest first),
// and without --run a command left behind as an attempt (killed before
// its run began, so nothing of it to undo) makes the rollback ask for it.
func (m *migration) confirmRollback(root string, j *journal.Journal) error {
	id := j.Run().ID
	if want := m.req.Run; want != "" {
		if want != id {
			return Usage("--run %s: the run a rollback undoes now is %s, %s (runs are undone newest first; `waltool migrate status` lists them)", want, id, j.Run())
		}
		return nil
	}
	a, err := journal.LastAttempt(m.readFS(), root)
	if err != nil || a == nil {
		return err
	}
	return Usage("the last command on the root, %s, stopped before it changed anything: there is nothing of it to undo; a rollback now would undo the run before it, the %s %s; to do that, run it again with --run %s",
		a, kindOf(j.Meta()), j.Run(), id)
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
func refuseWrittenSince(fsys vfs.FS, runs []*migrate.Run, i int) error {
	written, err := migrate.WrittenSince(fsys, runs, i)
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
func (m *migration) status() error {
	t, err := m.root()
	if err != nil {
		return err
	}
	runs, err := migrate.History(m.readFS(), t.Root.Path)
	if err != nil {
		return err
	}
	defer closeRuns(runs)
	w := &strings.Builder{}
	defer func() { m.report = &noted{Report: &docReport{statusDoc(m.readFS(), runs)}, text: w.String()} }()
	if len(runs) == 0 {
		fmt.Fprintf(w, "no migration has run on %s\n", t.Root.Path)
		return nil
	}
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
			fmt.Fprintf(w, "WRITTEN FOR ANOTHER ROOT (its journal says %s): %s\n", runState(&st), foreign.Explain())
		case st.RolledBack:
			fmt.Fprintf(w, "ROLLED BACK at %s: the root is as it was before the run\n", st.RolledBackAt.Format("2006-01-02 15:04:05"))
		case st.RollingBack:
			fmt.Fprintf(w, "ROLLING BACK, interrupted (%d steps undone): `waltool migrate rollback` finishes it\n", st.StepsUndone)
		case st.Finished:
			fmt.Fprintf(w, "FINISHED at %s: proven; %s\n", st.FinishedAt.Format("2006-01-02 15:04:05"), canRollBack(m.readFS(), runs, i, newest))
		default:
			fmt.Fprintln(w, "INTERRUPTED: `waltool migrate resume` finishes it, `waltool migrate rollback` undoes it")
		}
	}
	return nil
}

// statusDoc is the status document: every run, newest first (the
// contract's order), each finished one with whether rollback can still
// undo it (now, or once the runs after it are rolled back) or why not.
func statusDoc(fsys vfs.FS, runs []*migrate.Run) *schema.Status {
	d := &schema.Status{Runs: []schema.Run{}}
	for i := len(runs) - 1; i >= 0; i-- {
		st := runs[i].Journal.State()
		kind := "upgrade"
		if !runs[i].Upgrade() {
			kind = runs[i].Kind
		}
		run := runDoc(&st, kind)
		possible := st.Finished && !st.RolledBack
		var foreign *journal.ForeignError
		if errors.As(runs[i].Journal.Foreign(), &foreign) {
			possible, run.RollbackRefused = false, foreign.Explain()
		}
		if possible {
			if err := refuseWrittenSince(fsys, runs, i); err != nil {
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
func canRollBack(fsys vfs.FS, runs []*migrate.Run, i, newest int) string {
	if err := refuseWrittenSince(fsys, runs, i); err != nil {
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

func (m *migration) showUpgrade(rep *upgradeReport, plan *migrate.Plan) error {
	m.report = &UpgradeReport{rep: rep, plan: plan}
	return nil
}

// WriteText prints the report for people.
func (r *UpgradeReport) WriteText(out io.Writer) error {
	rep, plan := r.rep, r.plan
	w := bufio.NewWriter(out)
	defer w.Flush()
	for _, f := range rep.Findings {
		writeFinding(w, f)
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
	writeRebalance(w, rep.Rebalance)
	switch {
	case rep.Proof == nil:
		fmt.Fprintln(w, "proof: after --apply, every replica's state under 2.6 on the new root (committed decree, ballot, prepared decrees, recovered stream hash) must equal its state under 2.4 on the old root")
	case rep.Proof.Equal:
		fmt.Fprintf(w, "proof: EQUAL for %s: 2.6 on the new root recovers what 2.4 recovered on the old one\n", iec.Plural(int64(rep.Proof.Compared), "replica"))
	default:
		fmt.Fprintf(w, "proof: DIFFERENT (-2.4 before +2.6 after):\n%s\n", rep.Proof.Diff)
	}
	if rep.Rollback != nil {
		writeRollback(w, rep.Rollback, *rep.Journal)
	}
	if rep.Journal != nil && rep.Journal.Finished {
		fmt.Fprintln(w, "done: the journal is kept; `waltool migrate rollback` undoes the upgrade until the server writes to the root")
	}
	return nil
}

// printRollback says what a rollback did. Only a run the journal records
// rolled back is said to be as it was: a rollback that failed or was
// refused (its error on stderr) says that it did not complete.
func writeRollback(w io.Writer, rb *journal.Report, st journal.State) {
	switch {
	case rb.AlreadyRolledBack:
		fmt.Fprintln(w, "already rolled back: nothing to do")
	case st.RolledBack:
		fmt.Fprintf(w, "rolled back %s: the root is byte for byte as it was before the run\n", iec.Plural(int64(len(rb.Steps)), "step"))
	case st.RollingBack:
		fmt.Fprintf(w, "rollback NOT complete: %d of %s undone, the root is not as it was before the run; once the cause (above or on stderr) is fixed, `waltool migrate rollback` completes it\n",
			st.StepsUndone, iec.Plural(int64(len(st.Steps)), "step"))
	default:
		fmt.Fprintln(w, "rollback refused before its first change: nothing was undone (the cause is above or on stderr)")
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

func (m *migration) downgrade() error {
	target := m.req.Target
	t, err := m.root()
	if err != nil {
		return err
	}
	if err := m.refuseArchiveInside(t.Root); err != nil {
		return err
	}
	if m.req.Apply {
		command := "waltool migrate downgrade"
		if m.req.RestoreSlogArchive {
			command += " --restore-slog-archive"
		}
		end, lt, err := m.beginApply(t, command)
		if err != nil {
			return err
		}
		defer end()
		t = lt
	}
	opts := migrate.DowngradeOptions{Target: target, Next: m.req.Next}
	notOne := t.Root.NotOneServer()
	bar := m.large2(logBytes(t), "migrate: plan")
	opts.Progress = func(n int64) { bar.Add64(n) }
	plan, err := migrate.PlanDowngrade(t.Root, opts)
	bar.Finish()
	if err != nil {
		return explainNotOneServer(m.Env, t.Root, notOne, err)
	}
	if m.req.RestoreSlogArchive {
		return m.restoreSlogArchive(t, plan)
	}
	rep := newDowngradeReport(plan, m.downgradeArchive(t.Root), t.Root)
	rep.Findings = append(notOne, plan.Findings()...)
	fsys, preview, err := plan.Preview()
	if err != nil {
		return err
	}
	if rep.Preview, err = m.proveDowngrade(t, plan, fsys, preview, "migrate: prove (preview)"); err != nil {
		return err
	}
	if !m.req.Apply {
		rep.OK = len(plan.Refusals) == 0 && len(notOne) == 0 && rep.Preview.OK
		if err := m.showDowngrade(rep, plan); err != nil {
			return err
		}
		if !rep.OK {
			return Findings("the downgrade to %s is not safe as it stands (above): --apply refuses it", target)
		}
		return nil
	}
	if err := refuseNotOneServer(m.req.Force, t.Root, notOne, "migrate downgrade"); err != nil {
		m.showDowngrade(rep, nil)
		return err
	}
	if !rep.Preview.OK {
		m.showDowngrade(rep, nil)
		return Findings("migrate downgrade refused: its proof fails on the preview (above)")
	}
	if len(plan.Refusals) > 0 && !m.req.Force {
		m.showDowngrade(rep, nil)
		return Findings("migrate downgrade refused: %s cannot start safely on what is above; fix it first, or --force", target)
	}
	plan.SlogArchive = rep.Archive
	if err := plan.CheckSpace(m.writeFS()); err != nil {
		return err
	}
	j, err := m.beginRun(t, plan)
	if err != nil {
		return err
	}
	defer j.Close()
	return m.finishDowngrade(t, j, plan, rep)
}

func (m *migration) downgradeArchive(r *dataroot.Root) string {
	if d := m.req.SlogArchive; d != "" {
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
func (m *migration) finishDowngrade(t *dataroot.Target, j *journal.Journal, plan *migrate.DowngradePlan, rep *downgradeReport) error {
	return m.runToEnd(j, t, func() error {
		return plan.Apply(j, rep.Archive, j.PhaseDone)
	}, func(newRoot *dataroot.Root) (bool, error) {
		proof, err := m.proveDowngrade(t, plan, m.readFS(), newRoot, "migrate: prove")
		if err != nil {
			return false, err
		}
		rep.Proof, rep.Applied = proof, true
		return proof.OK, nil
	}, func(st *journal.State, rb *journal.Report, proven bool) error {
		rep.Journal, rep.Rollback, rep.OK = st, rb, proven
		return m.showDowngrade(rep, nil)
	}, fmt.Sprintf("%s on the new root does not recover what 2.6 did, or loses its next writes (above)", plan.Target))
}

// restoreSlogArchive undoes the root's last upgrade, when it finished and
// no server has written since: then the old slog is still the truth it
// was, and a rollback brings back the root an older server ran on. The
// runs after that upgrade (downgrades) are rolled back first, newest
// first, as every rollback of the root's history is.
func (m *migration) restoreSlogArchive(t *dataroot.Target, plan *migrate.DowngradePlan) error {
	fsys := m.readFS()
	if m.req.Apply {
		fsys = m.writeFS() // the caller holds the lock (beginApply)
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
		if err := refuseWrittenSince(m.readFS(), runs, i); err != nil {
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
	refused := len(plan.Refusals) > 0 && !m.req.Force
	if !m.req.Apply || refused {
		rep := newDowngradeReport(plan, "", t.Root)
		rep.Findings = plan.Findings()
		var w strings.Builder
		for _, f := range rep.Findings {
			writeFinding(&w, f)
		}
		if len(later) > 0 {
			fmt.Fprintf(&w, "--restore-slog-archive (dry run, nothing is written): first a rollback of the %s after the upgrade, newest first: %s\n", iec.Plural(int64(len(later)), "run"), strings.Join(later, "; "))
		}
		fmt.Fprintf(&w, "--restore-slog-archive (dry run, nothing is written): a rollback of the upgrade %s, finished %s; no server has written since: the slog comes back from its archive and the folded plog files go; the proof then replays the restored root under %s\n",
			st.Run, st.FinishedAt.Format("2006-01-02 15:04:05"), plan.Target)
		m.showDowngrade(rep, plan)
		m.report = &noted{Report: m.report, text: w.String()}
		if len(plan.Refusals) > 0 {
			return Findings("%s cannot start safely on what is above, whatever its logs: --apply refuses (--force to go on)", plan.Target)
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
	restored, err := t.Root.Reopen(m.readFS())
	if err != nil {
		return err
	}
	if rep.Proof, err = m.proveDowngrade(t, plan, m.readFS(), restored, "migrate: prove"); err != nil {
		return err
	}
	m.done()
	st = runs[up].Journal.State()
	rep.Journal, rep.OK = &st, rep.Proof.OK
	m.showDowngrade(rep, nil)
	if len(later) > 0 {
		m.report = &noted{Report: m.report, after: fmt.Sprintf("rolled back first, newest first, the %s after the upgrade: %s\n", iec.Plural(int64(len(later)), "run"), strings.Join(later, "; "))}
	}
	if !rep.OK {
		return Findings("the upgrade was rolled back (the slog is restored), but %s does not recover what 2.6 did (above): run `waltool migrate upgrade --apply` again, then downgrade without --restore-slog-archive", plan.Target)
	}
	return nil
}

// proveDowngrade runs the downgrade's proof on root with a progress bar.
func (m *migration) proveDowngrade(t *dataroot.Target, plan *migrate.DowngradePlan, fsys vfs.FS, root *dataroot.Root, what string) (*migrate.DowngradeProof, error) {
	bar := m.large2(logBytes(t), what)
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

func (m *migration) showDowngrade(rep *downgradeReport, plan *migrate.DowngradePlan) error {
	pr := rep.Proof
	if pr == nil {
		pr = rep.Preview
	}
	rep.replicaProofs(pr)
	m.report = &DowngradeReport{rep: rep, plan: plan}
	return nil
}

// WriteText prints the report for people.
func (r *DowngradeReport) WriteText(out io.Writer) error {
	rep, plan := r.rep, r.plan
	w := bufio.NewWriter(out)
	defer w.Flush()
	for _, f := range rep.Findings {
		writeFinding(w, f)
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
	writeDowngradeProof(w, "preview", rep.Preview, rep.Target)
	writeDowngradeProof(w, "proof", rep.Proof, rep.Target)
	if rep.Journal != nil && rep.Journal.Finished {
		fmt.Fprintln(w, "done: the journal is kept; `waltool migrate rollback` undoes the downgrade until a server writes to the root")
	}
	return nil
}

func writeDowngradeProof(w *bufio.Writer, what string, pr *migrate.DowngradeProof, target pegasus.Version) {
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
			writeFinding(w, f)
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

// printRebalance prints the rebalance of an upgrade plan: the data dirs
// before and after, and each move (gpid, from dir, to dir, bytes, rename
// or copy).
func writeRebalance(w io.Writer, rb *migrate.Rebalance) {
	if rb == nil {
		return
	}
	if len(rb.Moves) == 0 {
		fmt.Fprintf(w, "rebalance: the %d data dirs are balanced, nothing moves\n", len(rb.DataDirs))
		return
	}
	fmt.Fprintf(w, "rebalance: move %s (%s, %s of it copied across filesystems)\n",
		iec.Plural(int64(len(rb.Moves)), "replica dir"), iec.Bytes(rb.MoveBytes), iec.Bytes(rb.CopyBytes))
	for _, d := range rb.DataDirs {
		fmt.Fprintf(w, "  %s: %d replicas %s -> %d replicas %s\n", d.Path, d.Before.Replicas, iec.Bytes(d.Before.Bytes), d.After.Replicas, iec.Bytes(d.After.Bytes))
	}
	for _, m := range rb.Moves {
		how := "rename"
		if m.Copy {
			how = "copy"
		}
		fmt.Fprintf(w, "  %-6s %s -> %s (%s, %s)\n", m.Gpid, m.From, m.To, iec.Bytes(m.Bytes), how)
	}
}

func upgradeDoc(rep *upgradeReport) *schema.Upgrade {
	plan := rep.plan
	d := &schema.Upgrade{Applied: rep.Applied, ServerDirs: serverDirsDoc(rep.sources), Replicas: []schema.UpgradeReplica{}, NotLoaded: []schema.NotLoaded{},
		Slog:      schema.SlogArchive{Path: plan.SlogDir, Files: slogFilesDoc(plan.SlogFiles), ArchivePath: rep.SlogArchive},
		Rebalance: rebalanceDoc(rep.Rebalance), Proof: proofDoc(rep.Proof), Journal: runDoc(rep.Journal, "upgrade"),
		Rollback: rollbackDoc(rep.Rollback), Findings: schema.Findings(rep.Findings)}
	for _, rp := range plan.Replicas {
		ur := schema.UpgradeReplica{Gpid: rp.Gpid.String(), Path: rp.Dir, FoldedMutations: rp.Fold, FoldedBytes: rp.FoldBytes,
			FoldedDecrees: rangesDoc(rp.Decrees), BeyondRuleDecrees: rangesDoc(rp.BeyondRuleDecrees), NewFiles: []schema.NewFile{}}
		for _, f := range rp.NewFiles {
			ur.NewFiles = append(ur.NewFiles, schema.NewFile{Path: f.Path, Bytes: f.Size, Mutations: f.Mutations,
				MaxDecree: f.Header.MaxDecree, ValidStartOffset: f.Header.ValidStartOffset})
		}
		d.Replicas = append(d.Replicas, ur)
	}
	for _, n := range rep.NotLoaded {
		d.NotLoaded = append(d.NotLoaded, schema.NotLoaded{Gpid: n.Gpid.String(), Path: n.Dir, Reason: n.Reason})
	}
	return d
}

func downgradeDoc(rep *downgradeReport) *schema.Downgrade {
	plan := rep.plan
	d := &schema.Downgrade{Target: string(rep.Target), Applied: rep.Applied, RestoredSlogArchive: rep.Restored, ServerDirs: serverDirsDoc(rep.sources),
		Slog: schema.DowngradeSlog{SlogArchive: schema.SlogArchive{Path: plan.SlogDir, Files: []schema.SlogFile{}, ArchivePath: rep.Archive},
			Create: plan.CreateSlogDir},
		Replicas: []schema.DowngradeReplica{}, PreviewProof: downgradeProofDoc(rep.Preview), Proof: downgradeProofDoc(rep.Proof),
		Journal: runDoc(rep.Journal, cmp.Or(rep.journalKind, "downgrade")), Rollback: rollbackDoc(rep.Rollback), Findings: schema.Findings(rep.Findings)}
	if len(rep.Archived) > 0 {
		d.Slog.Files = slogFilesDoc(plan.SlogFiles)
	}
	if s := plan.SlogStart; s != nil {
		d.Slog.StartFile = &schema.StartFile{Path: s.Path, StartOffset: s.StartOffset, AboveInitOffset: s.Above}
	}
	for _, r := range rep.Replicas {
		d.Replicas = append(d.Replicas, schema.DowngradeReplica{Gpid: r.Gpid, Path: r.Dir, Changes: orEmpty(r.Changes), Verdict: r.Proof})
	}
	return d
}
