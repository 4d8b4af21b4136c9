// Package journal records a migration's changes to a data root so that a
// crash at any instant can be resumed or rolled back byte for byte.
//
// A run is begun in a root (Begin) and every change the migration makes goes
// through the run's Journal, which implements migrate's Steps (and
// DirMover): Create (a new file,
// written to a temporary name, fdatasync'd, renamed without replacing, its
// dir fsync'd), Move (a rename, or copy + fdatasync + rename + remove across
// filesystems), MoveDir (a directory tree, a replica dir: a rename, or
// copy into <to>.tmp + syncfs + rename the source to <from>.ori + rename
// the copy into place + remove the origin, never two loadable copies; see
// movedir.go), Mkdir, and Phase (a named phase is complete). For each step
// the journal appends an intent record, fsync'd, before touching anything
// (for a Move with the source's size and SHA-256, for a Create with the
// temporary and final names), and a done record (for a Create with the
// content's size and SHA-256) once the change is durable.
//
// Resume is re-running the plan against the journal from Open: a step whose
// done record exists and whose result checks out (the file at its final name
// with the recorded checksum; for a Move gone from its source) is a no-op; a
// step with only an intent is completed or redone from what is on disk (a
// half-written Create's temporary file is removed and written again; a
// partial copy restarts; a rename that happened is recognised by the
// checksum). Steps are matched by kind and path, so each (kind, path) is at
// most one step of a run.
//
// Rollback undoes every step, done or only intended, in reverse order, until
// the tree is as it was before the run: it never removes a file that existed
// before the run (a Create's final name and a Move's target are checked not
// to exist when the intent is recorded) and refuses to remove a created file
// whose checksum is not the one recorded. Its progress is journaled too, so
// an interrupted rollback is resumed by calling Rollback again.
//
// The runs of a root are its history (History): each run Begin archives
// can still be rolled back, in its archived dir, once every run begun
// after it has been. Runs are undone strictly newest first (Last is the
// one to undo next, and Rollback refuses any other): then the tree a
// rollback starts from is the tree the run left, every later run having
// restored it byte for byte, and undoing it loses nothing of theirs.
//
// On disk, in the root:
//
//	.waltool-journal/
//	  run/                       the current run
//	    journal.000001.jsonl     records appended by Begin's process
//	    journal.000002.jsonl     by the next process that resumed or rolled back, ...
//	  <started>-<command>-<end>/ earlier runs, archived by Begin: <end> is
//	                             how the run stood then (finished, rolled-back);
//	                             a later rollback appends its records here
//
// Each segment is append-only and written by one process (vfs.FS creates
// files exclusively, so a new process starts a new segment); every line is
// {"crc32c":N,"rec":{...}} with the CRC-32C of the rec bytes, fdatasync'd
// before the step goes on, the run dir fsync'd when a segment is created. A
// torn last line (a crash mid-append) is ignored: its step had not started.
//
// The journal takes no lock: the caller holds the root's lock (rootlock)
// for as long as it uses a Journal, from Begin or Open to the end.
package journal

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/waltool/waltool/vfs"
)

// Names in the root.
const (
	// DirName is the journal's directory in the root.
	DirName = ".waltool-journal"
	// RunDir is the current run's directory in DirName.
	RunDir = "run"
	// TmpPrefix starts the temporary names of Create and of copies:
	// .waltool-tmp.<final name>, in the final name's dir. The server's log
	// open skips files not named log.*.
	TmpPrefix = ".waltool-tmp."
)

var (
	// ErrUnfinished: Begin found a run that is neither finished nor rolled back.
	ErrUnfinished = errors.New("an unfinished migration run exists")
	// ErrNoRun: Open found no run in the root; Last, none that is not
	// rolled back.
	ErrNoRun = errors.New("no migration run in this root")
	// ErrChanged: a file a step made or moved no longer has its recorded
	// checksum (or is missing): something other than the run changed it.
	ErrChanged = errors.New("changed since the journal's step")
	// ErrCorrupt: a journal record other than a segment's last is damaged.
	ErrCorrupt = errors.New("the journal is corrupt")
	// ErrState: the step is not allowed in the run's state (finished,
	// rolling back, rolled back, steps pending).
	ErrState = errors.New("journal")
	// ErrForeign: the journal was written for another root (see
	// ForeignError).
	ErrForeign = errors.New("the journal was written for another root")
)

// Run describes a run.
type Run struct {
	// ID is set by Begin: the start time and pid.
	ID      string    `json:"id"`
	Command string    `json:"command"`
	Args    []string  `json:"args,omitempty"`
	Started time.Time `json:"started"`
	// Meta is opaque to the journal: the migration's plan, which resume needs.
	Meta json.RawMessage `json:"meta,omitempty"`
	// Prev is set by Begin: the ID of the newest run before this one, if
	// any. It orders the history whatever the clock did between runs.
	Prev string `json:"prev,omitempty"`
	// Root is set by Begin: the root's absolute path, symlinks resolved.
	// The steps name the root's files by absolute path, so a journal read
	// in another root (a copy of this one, or this one moved) would act
	// on this root's files, or on none: resume, rollback and a new Begin
	// refuse it (Journal.Foreign). Journals older than Root have none and
	// are taken as the root's own.
	Root string `json:"root,omitempty"`
}

func (r Run) String() string {
	s := strings.TrimSpace(r.Command + " " + strings.Join(r.Args, " "))
	return fmt.Sprintf("%q started %s (id %s)", s, r.Started.Format(time.RFC3339), r.ID)
}

// Step kinds.
const (
	OpCreate = "create"
	OpMove   = "move"
	OpMkdir  = "mkdir"
	// OpMoveDir is in movedir.go.
)

// record is one journal line's rec.
type record struct {
	Kind string    `json:"kind"` // begin intent sum done phase finish rollback undone rolledback
	Time time.Time `json:"time,omitzero"`
	Run  *Run      `json:"run,omitempty"`
	Step int       `json:"step,omitempty"` // 1-based, in intent order
	Op   string    `json:"op,omitempty"`
	// Path is a Create's final name, a Move's target, a Mkdir's dir.
	Path string `json:"path,omitempty"`
	From string `json:"from,omitempty"`
	// Tmp is a Create's temporary name, or a Move's partial copy at the
	// target; UndoTmp a Move's partial copy back at the source (rollback).
	Tmp     string `json:"tmp,omitempty"`
	UndoTmp string `json:"undo_tmp,omitempty"`
	// Size and SHA256: a Move's source (intent), a Create's content (done).
	Size   int64  `json:"size,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	// Ident: a Move within one filesystem records its source's identity
	// instead of its SHA-256 (see Journal.Move).
	Ident *fileIdent `json:"ident,omitempty"`
	// Existed: a Mkdir of a dir that was there before the run.
	Existed bool   `json:"existed,omitempty"`
	Name    string `json:"name,omitempty"` // phase
	// Manifest is a MoveDir's tree (intent); Hashes the SHA-256 of each of
	// its entries once copied across filesystems ("copied"; "" for dirs).
	Manifest []entry  `json:"manifest,omitempty"`
	Hashes   []string `json:"hashes,omitempty"`
}

type line struct {
	CRC uint32          `json:"crc32c"`
	Rec json.RawMessage `json:"rec"`
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type step struct {
	n        int
	op       string
	path     string
	from     string
	tmp      string
	undoTmp  string
	size     int64
	sum      string
	ident    *fileIdent // a Move recognised by identity, sum empty
	existed  bool
	manifest []entry  // a MoveDir's tree
	hashes   []string // a MoveDir's copy, once recorded
	done     bool
	undone   bool
	busy     bool // being carried out by this process
	reserved bool // checked, intent not yet recorded
}

func key(op, path, from string) string { return op + "\x00" + from + "\x00" + path }

// Journal is one run's journal. It is safe for concurrent use: independent
// steps may run at once (their journal records are serialised).
type Journal struct {
	fsys vfs.FS
	root string
	dir  string
	// foreign is the root the run was written for (Run.Root) when root is
	// another one, "" when it is root's own.
	foreign string

	mu          sync.Mutex
	run         Run
	steps       []*step
	byKey       map[string]*step
	phases      []string
	phaseTimes  []time.Time
	finished    time.Time
	rollingBack bool
	rolledBack  time.Time
	undone      int

	seg     vfs.File
	nextSeg int
	broken  error
}

func journalDir(root string) string { return filepath.Join(root, DirName) }
func runDir(root string) string     { return filepath.Join(root, DirName, RunDir) }

// Begin starts a run in root. It refuses when an unfinished run exists
// (neither finished nor rolled back): resume or rollback decides what
// becomes of it. A finished or rolled-back run is archived first, under
// .waltool-journal/<started>-<command>-<finished|rolled-back>. run.ID and,
// if zero, run.Started are filled in. The caller holds the root's lock.
func Begin(fsys vfs.FS, root string, run Run) (*Journal, error) {
	root = filepath.Clean(root)
	if err := vfs.MkdirAllDurable(fsys, journalDir(root)); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	old, err := load(fsys, root)
	switch {
	case errors.Is(err, errNoBegin):
		// A Begin that crashed before its first record was durable:
		// nothing of the tree was touched. Clear it.
		if err := clearRun(fsys, root); err != nil {
			return nil, err
		}
		old = nil
	case errors.Is(err, ErrNoRun):
		old = nil
	case err != nil:
		return nil, err
	}
	runs, err := History(fsys, root)
	if err != nil {
		return nil, err
	}
	if err := refuseForeign(runs); err != nil {
		return nil, err
	}
	if err := unfinished(runs, root); err != nil {
		return nil, err
	}
	if old != nil {
		if err := old.archive(); err != nil {
			return nil, err
		}
	}
	run.Prev = ""
	if len(runs) > 0 {
		run.Prev = runs[len(runs)-1].run.ID
	}
	if run.Started.IsZero() {
		run.Started = time.Now()
	}
	run.ID = fmt.Sprintf("%s-%d", run.Started.UTC().Format("20060102T150405.000000000Z"), os.Getpid())
	run.Root = canonicalRoot(root)
	if err := fsys.Mkdir(runDir(root), 0o755); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if err := fsys.SyncDir(journalDir(root)); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	j := &Journal{fsys: fsys, root: root, dir: runDir(root), run: run, byKey: map[string]*step{}, nextSeg: 1}
	if err := j.append(record{Kind: "begin", Time: run.Started, Run: &run}); err != nil {
		j.closeSeg()
		return nil, err
	}
	// The attempt that planned this run is a run now.
	if err := endAttempt(fsys, root); err != nil {
		j.closeSeg()
		return nil, err
	}
	return j, nil
}

// Open opens the run in root, finished or not, to resume it, roll it back
// or report on it (State). It writes nothing until a step is carried out.
// The caller holds the root's lock.
func Open(fsys vfs.FS, root string) (*Journal, error) {
	j, err := load(fsys, filepath.Clean(root))
	if errors.Is(err, errNoBegin) {
		return nil, fmt.Errorf("%w (a run began but crashed before its first record was durable: nothing was changed)", ErrNoRun)
	}
	return j, err
}

// Close releases the journal's open segment. The run stays as it is.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.closeSeg()
}

func (j *Journal) closeSeg() error {
	if j.seg == nil {
		return nil
	}
	err := j.seg.Close()
	j.seg = nil
	if j.broken == nil {
		j.broken = errors.New("journal: closed")
	}
	return err
}

// Meta is the run's Meta.
func (j *Journal) Meta() json.RawMessage {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.run.Meta
}

// Run is the run's description.
func (j *Journal) Run() Run {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.run
}

// StepState is one step as the journal records it.
type StepState struct {
	Step   int    `json:"step"`
	Op     string `json:"op"`
	Path   string `json:"path"`
	From   string `json:"from,omitempty"`
	Size   int64  `json:"size,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	Done   bool   `json:"done"`
	Undone bool   `json:"undone,omitempty"`
}

// State is where a run stands, for `migrate status`.
type State struct {
	Run Run `json:"run"`
	// Dir is the run's journal dir.
	Dir    string   `json:"dir"`
	Phases []string `json:"phases"`
	// PhaseTimes[i] is when Phases[i] was recorded complete: with
	// Run.Started, how long each phase took.
	PhaseTimes   []time.Time `json:"phase_times"`
	Steps        []StepState `json:"steps"`
	StepsDone    int         `json:"steps_done"`
	StepsPending int         `json:"steps_pending"`
	Finished     bool        `json:"finished"`
	FinishedAt   time.Time   `json:"finished_at,omitzero"`
	// RollingBack: a rollback began and has not completed.
	RollingBack  bool      `json:"rolling_back"`
	RolledBack   bool      `json:"rolled_back"`
	RolledBackAt time.Time `json:"rolled_back_at,omitzero"`
	StepsUndone  int       `json:"steps_undone"`
	// WrittenFor is the root the run was written for when that is not the
	// root it was read in (a copy, or a move: see Foreign); the state
	// above is the run's there, and nothing can be done with it here.
	WrittenFor string `json:"written_for,omitempty"`
}

// State reports the run.
func (j *Journal) State() State {
	j.mu.Lock()
	defer j.mu.Unlock()
	st := State{Run: j.run, Dir: j.dir, Phases: append([]string{}, j.phases...), PhaseTimes: append([]time.Time{}, j.phaseTimes...), Steps: []StepState{},
		Finished: !j.finished.IsZero(), FinishedAt: j.finished, RollingBack: j.rollingBack && j.rolledBack.IsZero(),
		RolledBack: !j.rolledBack.IsZero(), RolledBackAt: j.rolledBack, StepsUndone: j.undone, WrittenFor: j.foreign}
	for _, s := range j.steps {
		st.Steps = append(st.Steps, StepState{Step: s.n, Op: s.op, Path: s.path, From: s.from, Size: s.size, SHA256: s.sum, Done: s.done, Undone: s.undone})
		if s.done {
			st.StepsDone++
		} else {
			st.StepsPending++
		}
	}
	return st
}

// Finish marks the run finished. The journal is kept: the run can still
// be rolled back until another run begins. It refuses while a step is
// pending (intended, not done): resume it or roll back.
func (j *Journal) Finish() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.finished.IsZero() {
		return nil
	}
	if err := j.writable(); err != nil {
		return err
	}
	for _, s := range j.steps {
		if !s.done || s.busy {
			return fmt.Errorf("%w: cannot finish: step %d (%s %s) is not done", ErrState, s.n, s.op, s.path)
		}
	}
	now := time.Now()
	if err := j.append(record{Kind: "finish", Time: now}); err != nil {
		return err
	}
	j.finished = now
	return nil
}

// writable refuses a new record in a run rolling back or rolled back.
func (j *Journal) writable() error {
	if err := j.foreignErr(); err != nil {
		return err
	}
	if !j.rolledBack.IsZero() {
		return fmt.Errorf("%w: the run %s was rolled back", ErrState, j.run)
	}
	if j.rollingBack {
		return fmt.Errorf("%w: the run %s is being rolled back: run rollback again to complete it", ErrState, j.run)
	}
	return nil
}

// append writes one record to the current segment and makes it durable
// (the segment's fdatasync and, for a new segment, the run dir's fsync).
// Any failure leaves the journal unusable in this process: what reached
// the disk is unknown, so the run is resumed by a new Open, in a new
// segment. Called with j.mu held.
func (j *Journal) append(r record) error {
	if j.broken != nil {
		return fmt.Errorf("journal unusable after an earlier failure (Open the run again): %w", j.broken)
	}
	rec, err := json.Marshal(r)
	if err != nil {
		return err
	}
	b, err := json.Marshal(line{CRC: crc32.Checksum(rec, castagnoli), Rec: rec})
	if err != nil {
		return err
	}
	b = append(b, '\n')
	fail := func(err error) error {
		j.broken = err
		if j.seg != nil {
			j.seg.Close()
			j.seg = nil
		}
		return fmt.Errorf("journal: %w", err)
	}
	created := false
	if j.seg == nil {
		f, err := j.fsys.Create(filepath.Join(j.dir, segName(j.nextSeg)))
		if err != nil {
			return fail(err)
		}
		j.seg, created = f, true
		j.nextSeg++
	}
	if _, err := j.seg.Write(b); err != nil {
		return fail(err)
	}
	if err := j.seg.Sync(); err != nil {
		return fail(err)
	}
	if created {
		if err := j.fsys.SyncDir(j.dir); err != nil {
			return fail(err)
		}
	}
	return nil
}

func segName(n int) string { return fmt.Sprintf("journal.%06d.jsonl", n) }

func parseSeg(name string) (int, bool) {
	var n int
	if _, err := fmt.Sscanf(name, "journal.%06d.jsonl", &n); err != nil || segName(n) != name {
		return 0, false
	}
	return n, true
}

var errNoBegin = errors.New("journal: the run has no begin record")

// History loads every run recorded in root, oldest first: the runs Begin
// archived, by start time, then the current one. A current run whose
// Begin crashed before its first record (nothing was changed) is left out.
// None is no error: a root no migration ran on has no history.
func History(fsys vfs.FS, root string) ([]*Journal, error) {
	root = filepath.Clean(root)
	ents, err := fsys.ReadDir(journalDir(root))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	var runs []*Journal
	var cur *Journal
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		j, err := loadDir(fsys, root, filepath.Join(journalDir(root), e.Name()))
		if errors.Is(err, errNoBegin) && e.Name() == RunDir {
			continue
		}
		if err != nil {
			return nil, err
		}
		if e.Name() == RunDir {
			cur = j
		} else {
			runs = append(runs, j)
		}
	}
	return ordered(runs, cur), nil
}

// RefuseUnfinished fails with ErrUnfinished, naming the run, when a run of
// root is unfinished or its rollback is: then no other run may begin. A
// run takes the root's lock and calls it before it reads anything to plan
// (Begin checks again).
func RefuseUnfinished(fsys vfs.FS, root string) error {
	runs, err := History(fsys, filepath.Clean(root))
	if err != nil {
		return err
	}
	if err := refuseForeign(runs); err != nil {
		return err
	}
	return unfinished(runs, filepath.Clean(root))
}

// refuseForeign fails with the first run of runs written for another
// root: a run begun beside it would chain onto a history that is not this
// root's, and its rollback would reach into the other root.
func refuseForeign(runs []*Journal) error {
	for _, r := range runs {
		if err := r.Foreign(); err != nil {
			return err
		}
	}
	return nil
}

// unfinished is the refusal of RefuseUnfinished over runs, the archived
// runs' (Last undoes those in place) included.
func unfinished(runs []*Journal, root string) error {
	for _, r := range runs {
		if r.rolledBack.IsZero() && (r.finished.IsZero() || r.rollingBack) {
			how := "interrupted"
			if r.rollingBack {
				how = "interrupted while rolling back"
			}
			return fmt.Errorf("%w in %s: %s, %s; `waltool migrate resume` finishes it or `waltool migrate rollback` undoes it, and only then can another run begin", ErrUnfinished, root, r.run, how)
		}
	}
	return nil
}

// ordered sorts the archived runs and cur, the current one (nil when a
// Begin crashed between archiving the run before it and its first
// record), oldest first: back from the newest run (cur, else the latest
// started) along the Prev each Begin recorded, and before those the runs
// no such chain reaches (journals older than Prev), by start time.
func ordered(runs []*Journal, cur *Journal) []*Journal {
	sort.SliceStable(runs, func(a, b int) bool {
		ra, rb := runs[a].run, runs[b].run
		if !ra.Started.Equal(rb.Started) {
			return ra.Started.Before(rb.Started)
		}
		return ra.ID < rb.ID
	})
	newest := cur
	if cur != nil {
		runs = append(runs, cur)
	} else if len(runs) > 0 {
		newest = runs[len(runs)-1]
	}
	byID := map[string]*Journal{}
	for _, j := range runs {
		byID[j.run.ID] = j
	}
	var chain []*Journal
	in := map[*Journal]bool{}
	for j := newest; j != nil && !in[j]; j = byID[j.run.Prev] {
		chain = append(chain, j)
		in[j] = true
	}
	out := make([]*Journal, 0, len(runs))
	for _, j := range runs {
		if !in[j] {
			out = append(out, j)
		}
	}
	for i := len(chain) - 1; i >= 0; i-- {
		out = append(out, chain[i])
	}
	return out
}

// Last opens the newest run of root that is not rolled back: the one a
// rollback undoes next (runs are undone strictly newest first), an
// interrupted run to resume, or a run whose rollback was interrupted. It
// fails with ErrNoRun when no run was recorded or every run is rolled
// back. The caller holds the root's lock.
func Last(fsys vfs.FS, root string) (*Journal, error) {
	runs, err := History(fsys, root)
	if err != nil {
		return nil, err
	}
	for i := len(runs) - 1; i >= 0; i-- {
		if runs[i].rolledBack.IsZero() {
			return runs[i], nil
		}
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNoRun, root)
	}
	return nil, fmt.Errorf("%w: every run of %s is rolled back", ErrNoRun, root)
}

// load reads the current run of root.
func load(fsys vfs.FS, root string) (*Journal, error) {
	return loadDir(fsys, root, runDir(root))
}

// loadDir reads the run whose journal is dir, the current run's or an
// archived one's.
func loadDir(fsys vfs.FS, root, dir string) (*Journal, error) {
	ents, err := fsys.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoRun, root)
	}
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	j := &Journal{fsys: fsys, root: root, dir: dir, byKey: map[string]*step{}, nextSeg: 1}
	var segs []int
	for _, e := range ents {
		if n, ok := parseSeg(e.Name()); ok {
			segs = append(segs, n)
		}
	}
	sort.Ints(segs)
	begun := false
	for _, n := range segs {
		j.nextSeg = n + 1
		name := filepath.Join(dir, segName(n))
		b, err := vfs.ReadFile(fsys, name, 1<<30)
		if err != nil {
			return nil, fmt.Errorf("journal: %w", err)
		}
		for len(b) > 0 {
			i := bytes.IndexByte(b, '\n')
			if i < 0 {
				break // torn tail: its step never started
			}
			l, rest := b[:i], b[i+1:]
			b = rest
			var ln line
			if err := json.Unmarshal(l, &ln); err != nil || crc32.Checksum(ln.Rec, castagnoli) != ln.CRC {
				if len(rest) == 0 {
					break // torn tail
				}
				return nil, fmt.Errorf("%w: %s: a damaged record before the last", ErrCorrupt, name)
			}
			var r record
			if err := json.Unmarshal(ln.Rec, &r); err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, name, err)
			}
			if !begun {
				if r.Kind != "begin" || r.Run == nil {
					return nil, fmt.Errorf("%w: %s: the first record is %q, not begin", ErrCorrupt, name, r.Kind)
				}
				begun = true
				j.run = *r.Run
				continue
			}
			if err := j.apply(r); err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, name, err)
			}
		}
	}
	if !begun {
		return nil, errNoBegin
	}
	j.foreign = foreignRoot(fsys, root, j.run.Root)
	return j, nil
}

// apply adds a record read back to the state.
func (j *Journal) apply(r record) error {
	get := func() (*step, error) {
		if r.Step < 1 || r.Step > len(j.steps) {
			return nil, fmt.Errorf("%s record of unknown step %d", r.Kind, r.Step)
		}
		return j.steps[r.Step-1], nil
	}
	switch r.Kind {
	case "intent":
		if r.Step != len(j.steps)+1 {
			return fmt.Errorf("intent of step %d after %d steps", r.Step, len(j.steps))
		}
		s := &step{n: r.Step, op: r.Op, path: r.Path, from: r.From, tmp: r.Tmp, undoTmp: r.UndoTmp, size: r.Size, sum: r.SHA256, ident: r.Ident, existed: r.Existed, manifest: r.Manifest}
		j.steps = append(j.steps, s)
		j.byKey[key(s.op, s.path, s.from)] = s
	case "done":
		s, err := get()
		if err != nil {
			return err
		}
		s.done = true
		if s.op == OpCreate {
			s.size, s.sum = r.Size, r.SHA256
		}
	case "copied":
		s, err := get()
		if err != nil {
			return err
		}
		if s.op != OpMoveDir || len(r.Hashes) != len(s.manifest) {
			return fmt.Errorf("copied record of step %d (%s, %d entries) with %d hashes", s.n, s.op, len(s.manifest), len(r.Hashes))
		}
		s.hashes = r.Hashes
	case "sum": // a Move recorded by identity that had to copy
		s, err := get()
		if err != nil {
			return err
		}
		if s.op != OpMove || r.Size != s.size {
			return fmt.Errorf("sum record of step %d (%s, %d bytes) with %d bytes", r.Step, s.op, s.size, r.Size)
		}
		s.sum = r.SHA256
	case "phase":
		j.addPhase(r.Name, r.Time)
	case "finish":
		j.finished = r.Time
	case "rollback":
		j.rollingBack = true
	case "undone":
		s, err := get()
		if err != nil {
			return err
		}
		if !s.undone {
			s.undone = true
			j.undone++
		}
	case "rolledback":
		j.rolledBack = r.Time
	default:
		return fmt.Errorf("unknown record kind %q", r.Kind)
	}
	return nil
}

func (j *Journal) addPhase(name string, at time.Time) {
	for _, p := range j.phases {
		if p == name {
			return
		}
	}
	j.phases = append(j.phases, name)
	j.phaseTimes = append(j.phaseTimes, at)
}

// archive moves a finished or rolled-back run out of the way.
func (j *Journal) archive() error {
	end := "finished"
	if !j.rolledBack.IsZero() {
		end = "rolled-back"
	}
	cmd := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, j.run.Command)
	base := fmt.Sprintf("%s-%s-%s", j.run.Started.UTC().Format("20060102T150405.000000000Z"), cmd, end)
	jd := journalDir(j.root)
	for i := 0; ; i++ {
		name := base
		if i > 0 {
			name = fmt.Sprintf("%s.%d", base, i)
		}
		err := vfs.RenameNoReplace(j.fsys, j.dir, filepath.Join(jd, name))
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("journal: archiving the last run: %w", err)
		}
		break
	}
	if err := j.fsys.SyncDir(jd); err != nil {
		return fmt.Errorf("journal: archiving the last run: %w", err)
	}
	return nil
}

// clearRun removes a run dir that holds no begin record.
func clearRun(fsys vfs.FS, root string) error {
	dir := runDir(root)
	ents, err := fsys.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	for _, e := range ents {
		if _, ok := parseSeg(e.Name()); !ok {
			return fmt.Errorf("journal: %s holds %s, not a journal segment: remove it", dir, e.Name())
		}
		if err := fsys.Remove(filepath.Join(dir, e.Name())); err != nil {
			return fmt.Errorf("journal: %w", err)
		}
	}
	if err := fsys.Remove(dir); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	if err := fsys.SyncDir(journalDir(root)); err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return nil
}

// sumFile is the size and SHA-256 of the regular file at path.
func sumFile(fsys vfs.FS, path string) (int64, string, error) {
	f, err := fsys.OpenReadOnly(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// exists says whether path exists (err only for a failing Stat).
func exists(fsys vfs.FS, path string) (fs.FileInfo, bool, error) {
	info, err := fsys.Stat(path)
	if err == nil {
		return info, true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	return nil, false, err
}
