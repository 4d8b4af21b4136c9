package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/waltool/waltool/vfs"
)

func begin(t *testing.T, fsys vfs.FS, root string) *Journal {
	t.Helper()
	j, err := Begin(fsys, root, Run{Command: "migrate upgrade", Args: []string{"--apply"}, Meta: json.RawMessage(`{"plan":"p"}`)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func open(t *testing.T, fsys vfs.FS, root string) *Journal {
	t.Helper()
	j, err := Open(fsys, root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func never(io.Writer) error { return errors.New("write called on a replay of a done step") }

// crashAtDone crashes (a power loss) at the journal write of the n-th
// record of the session (0 is the first): a change made, its done
// record not durable.
func crashAtRecord(n int) *vfs.Faulty {
	f := vfs.NewFaulty(vfs.OS)
	f.Inject(vfs.Fault{Op: vfs.OpWrite, Path: "journal.", After: n, Crash: true})
	return f
}

func TestCreate(t *testing.T) {
	root := tempRoot(t)
	initial := snapshot(t, root)
	final := filepath.Join(root, "f")
	data := content("f", 10000)
	j := begin(t, vfs.OS, root)
	if err := j.Create(final, writeChunks(data)); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(final); !bytes.Equal(b, data) {
		t.Fatal("content")
	}
	st := j.State()
	if st.StepsDone != 1 || st.StepsPending != 0 || st.Steps[0].Size != 10000 || st.Steps[0].SHA256 == "" {
		t.Fatalf("state %+v", st)
	}
	// Replayed (same process, and after Open): a no-op.
	if err := j.Create(final, never); err != nil {
		t.Fatal(err)
	}
	j.Close()
	j = open(t, vfs.OS, root)
	if err := j.Create(final, never); err != nil {
		t.Fatal(err)
	}
	if string(j.Meta()) != `{"plan":"p"}` {
		t.Fatalf("meta %s", j.Meta())
	}
	// A file there before the run is never replaced.
	if err := j.Create(filepath.Join(root, DirName, RunDir, segName(1)), never); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("create over an existing file: %v", err)
	}
	r, err := j.Rollback()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Steps) != 1 || r.Steps[0].Action != "removed" {
		t.Fatalf("report %+v", r)
	}
	sameTree(t, "rolled back", snapshot(t, root), initial)
	if st := j.State(); !st.RolledBack || st.StepsUndone != 1 {
		t.Fatalf("state %+v", st)
	}
	if err := j.Create(final, never); !errors.Is(err, ErrState) {
		t.Fatalf("a step after the rollback: %v", err)
	}
	if r, err := j.Rollback(); err != nil || !r.AlreadyRolledBack {
		t.Fatalf("rollback twice: %+v %v", r, err)
	}
}

func TestCreateResumedFromIntent(t *testing.T) {
	root := tempRoot(t)
	final := filepath.Join(root, "f")
	tmp := tmpFor(final)
	data := content("f", 9000)
	// A write that fails half-way: the step fails, the tmp is removed, the
	// intent stays pending.
	j := begin(t, vfs.OS, root)
	err := j.Create(final, func(w io.Writer) error {
		w.Write(data[:4000])
		return errors.New("source unreadable")
	})
	if err == nil || !strings.Contains(err.Error(), "source unreadable") {
		t.Fatalf("create: %v", err)
	}
	for _, p := range []string{final, tmp} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%s left: %v", p, err)
		}
	}
	if st := j.State(); st.StepsPending != 1 {
		t.Fatalf("state %+v", st)
	}
	if err := j.Finish(); !errors.Is(err, ErrState) {
		t.Fatalf("finish with a pending step: %v", err)
	}
	if err := j.Phase("fold"); !errors.Is(err, ErrState) {
		t.Fatalf("phase with a pending step: %v", err)
	}
	// Resumed in the same process.
	if err := j.Create(final, writeChunks(data)); err != nil {
		t.Fatal(err)
	}
	j.Close()

	// A crash after the rename, before the done record: the final name
	// holds a file the run wrote; resume writes it again.
	root = tempRoot(t)
	final = filepath.Join(root, "f")
	f := crashAtRecord(2) // begin, intent, done
	j, err = Begin(f, root, Run{Command: "c"})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Create(final, writeChunks(data)); !errors.Is(err, vfs.ErrCrashed) {
		t.Fatalf("create: %v", err)
	}
	j.Close()
	if b, _ := os.ReadFile(final); !bytes.Equal(b, data) {
		t.Fatal("the renamed file is not there")
	}
	os.WriteFile(tmpFor(final), []byte("a half-written attempt"), 0o644)
	j = open(t, vfs.OS, root)
	if st := j.State(); st.StepsPending != 1 {
		t.Fatalf("state %+v", st)
	}
	called := false
	if err := j.Create(final, func(w io.Writer) error { called = true; return writeChunks(data)(w) }); err != nil || !called {
		t.Fatalf("resume: %v, written again %v", err, called)
	}
	if _, err := os.Stat(tmpFor(final)); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("tmp left")
	}
	if err := j.Finish(); err != nil {
		t.Fatal(err)
	}
}

func TestRollbackRefusesChangedFiles(t *testing.T) {
	root := tempRoot(t)
	setupTree(t, root)
	j := begin(t, scriptFS(vfs.OS, root), root)
	created := filepath.Join(root, "d1", "c")
	if err := j.Create(created, writeChunks(content("c", 3000))); err != nil {
		t.Fatal(err)
	}
	moved := filepath.Join(root, "xfs", "old1")
	if err := j.Move(filepath.Join(root, "d1", "old1"), moved); err != nil {
		t.Fatal(err)
	}
	if err := j.Finish(); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(moved, []byte("changed by someone"), 0o644)
	if _, err := j.Rollback(); !errors.Is(err, ErrChanged) {
		t.Fatalf("rollback over a changed moved file: %v", err)
	}
	// A replay sees the change too.
	if err := j.Move(filepath.Join(root, "d1", "old1"), moved); !errors.Is(err, ErrChanged) {
		t.Fatalf("a replay of the changed step: %v", err)
	}
	os.WriteFile(moved, content("old1", 7000), 0o644)
	os.WriteFile(created, []byte("not the run's"), 0o644)
	// The created file is undone after the moved one, which is fine now:
	// refused before the move back, changing nothing.
	if _, err := j.Rollback(); !errors.Is(err, ErrChanged) {
		t.Fatalf("rollback over a changed created file: %v", err)
	}
	if b, _ := os.ReadFile(created); string(b) != "not the run's" {
		t.Fatal("a changed file was removed")
	}
	if _, err := os.Stat(moved); err != nil {
		t.Fatalf("the refused rollback moved a file back: %v", err)
	}
	if st := j.State(); st.RollingBack || st.StepsUndone != 0 {
		t.Fatalf("state %+v", st)
	}
	os.Remove(created)
	r, err := j.Rollback()
	if err != nil || r.Resumed {
		t.Fatalf("rollback: %+v %v", r, err)
	}
}

func TestMove(t *testing.T) {
	for _, across := range []bool{false, true} {
		t.Run(fmt.Sprint("across=", across), func(t *testing.T) {
			root := tempRoot(t)
			setupTree(t, root)
			initial := snapshot(t, root)
			fsys := scriptFS(vfs.OS, root)
			from := filepath.Join(root, "d1", "old1")
			to := filepath.Join(root, "d2", "old1")
			if across {
				to = filepath.Join(root, "xfs", "old1")
			}
			j := begin(t, fsys, root)
			if err := j.Move(from, to); err != nil {
				t.Fatal(err)
			}
			after := snapshot(t, root)
			if err := j.Move(from, to); err != nil {
				t.Fatalf("replay: %v", err)
			}
			j.Close()
			j = open(t, fsys, root)
			if err := j.Move(from, to); err != nil {
				t.Fatalf("replay after Open: %v", err)
			}
			sameTree(t, "replayed", snapshot(t, root), after)
			if st := j.State(); st.Steps[0].Size != 7000 || !st.Steps[0].Done {
				t.Fatalf("state %+v", st)
			}
			r, err := j.Rollback()
			if err != nil || r.Steps[0].Action != "moved back" {
				t.Fatalf("rollback: %+v %v", r, err)
			}
			sameTree(t, "rolled back", snapshot(t, root), initial)

			// Intent only: the move (and, across, the copy and the
			// removal) happened, the done record did not reach the disk;
			// then a partial copy is lying at the tmp name.
			root = tempRoot(t)
			setupTree(t, root)
			fsys = scriptFS(vfs.OS, root)
			from, to = filepath.Join(root, "d1", "old1"), filepath.Join(root, filepath.Base(filepath.Dir(to)), "old1")
			f := crashAtRecord(2)
			j, err = Begin(scriptFS(f, root), root, Run{Command: "m"})
			if err != nil {
				t.Fatal(err)
			}
			if err := j.Move(from, to); !errors.Is(err, vfs.ErrCrashed) {
				t.Fatalf("move: %v", err)
			}
			j.Close()
			os.WriteFile(tmpFor(to), []byte("partial"), 0o644)
			j = open(t, fsys, root)
			if st := j.State(); st.StepsPending != 1 {
				t.Fatalf("state %+v", st)
			}
			if err := j.Move(from, to); err != nil {
				t.Fatalf("resume: %v", err)
			}
			sameTree(t, "resumed", snapshot(t, root), after)
			// The source back where it was (someone put it back) is refused on replay.
			os.WriteFile(from, []byte("x"), 0o644)
			if err := j.Move(from, to); !errors.Is(err, ErrChanged) {
				t.Fatalf("replay with the source back: %v", err)
			}
			os.Remove(from)
		})
	}
}

// TestMoveInterruptedCopy: across filesystems, the copy is complete at the
// target and the source not yet removed; resume removes the source, and
// rollback (from the same state) removes the copy.
func TestMoveInterruptedCopy(t *testing.T) {
	for _, then := range []string{"resume", "rollback"} {
		root := tempRoot(t)
		setupTree(t, root)
		initial := snapshot(t, root)
		from, to := filepath.Join(root, "d1", "old1"), filepath.Join(root, "xfs", "old1")
		f := vfs.NewFaulty(vfs.OS)
		f.Inject(vfs.Fault{Op: vfs.OpRemove, Path: from, Crash: true})
		j, err := Begin(scriptFS(f, root), root, Run{Command: "m"})
		if err != nil {
			t.Fatal(err)
		}
		if err := j.Move(from, to); !errors.Is(err, vfs.ErrCrashed) {
			t.Fatalf("move: %v", err)
		}
		j.Close()
		for _, p := range []string{from, to} {
			if _, err := os.Stat(p); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
		}
		j = open(t, scriptFS(vfs.OS, root), root)
		if then == "resume" {
			if err := j.Move(from, to); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(from); !errors.Is(err, fs.ErrNotExist) {
				t.Fatal("source left")
			}
			continue
		}
		r, err := j.Rollback()
		if err != nil || r.Steps[0].Action != "removed the copy at the target" {
			t.Fatalf("rollback: %+v %v", r, err)
		}
		sameTree(t, "rolled back", snapshot(t, root), initial)
	}
}

func TestMkdir(t *testing.T) {
	root := tempRoot(t)
	os.Mkdir(filepath.Join(root, "there"), 0o755)
	initial := snapshot(t, root)
	j := begin(t, vfs.OS, root)
	for _, d := range []string{"there", "new"} {
		if err := j.Mkdir(filepath.Join(root, d)); err != nil {
			t.Fatal(err)
		}
		if err := j.Mkdir(filepath.Join(root, d)); err != nil {
			t.Fatalf("replay: %v", err)
		}
	}
	if err := j.Mkdir(filepath.Join(root, "no", "parent")); err == nil {
		t.Fatal("mkdir without its parent")
	}
	if err := j.Finish(); err != nil {
		t.Fatalf("finish: %v", err) // the failed mkdir left no intent
	}
	os.WriteFile(filepath.Join(root, "new", "stranger"), nil, 0o644)
	if _, err := j.Rollback(); err == nil {
		t.Fatal("rollback removed a dir holding a file the run did not make")
	}
	os.Remove(filepath.Join(root, "new", "stranger"))
	r, err := j.Rollback()
	if err != nil {
		t.Fatal(err)
	}
	if r.Steps[0].Action != "removed" || !strings.Contains(r.Steps[1].Action, "existed before") {
		t.Fatalf("report %+v", r)
	}
	sameTree(t, "rolled back", snapshot(t, root), initial)
	// Intent only: the dir made, its done record lost.
	root = tempRoot(t)
	j, err = Begin(crashAtRecord(2), root, Run{Command: "m"})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Mkdir(filepath.Join(root, "new")); !errors.Is(err, vfs.ErrCrashed) {
		t.Fatal(err)
	}
	j.Close()
	j = open(t, vfs.OS, root)
	if err := j.Mkdir(filepath.Join(root, "new")); err != nil {
		t.Fatalf("resume: %v", err)
	}
	if st := j.State(); st.StepsDone != 1 {
		t.Fatalf("state %+v", st)
	}
}

func TestBeginRefusesUnfinished(t *testing.T) {
	root := tempRoot(t)
	j := begin(t, vfs.OS, root)
	if err := j.Mkdir(filepath.Join(root, "d")); err != nil {
		t.Fatal(err)
	}
	if err := j.Phase("fold"); err != nil {
		t.Fatal(err)
	}
	j.Close()
	_, err := Begin(vfs.OS, root, Run{Command: "other"})
	if !errors.Is(err, ErrUnfinished) || !strings.Contains(err.Error(), "resume") || !strings.Contains(err.Error(), "rollback") || !strings.Contains(err.Error(), "migrate upgrade --apply") {
		t.Fatalf("begin over an unfinished run: %v", err)
	}
	j = open(t, vfs.OS, root)
	st := j.State()
	if st.Finished || len(st.Phases) != 1 || st.Phases[0] != "fold" || st.Run.Command != "migrate upgrade" || st.Run.ID == "" {
		t.Fatalf("state %+v", st)
	}
	if err := j.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := j.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := j.Mkdir(filepath.Join(root, "e")); !errors.Is(err, ErrState) {
		t.Fatalf("a new step after Finish: %v", err)
	}
	j.Close()
	if st := open(t, vfs.OS, root).State(); !st.Finished {
		t.Fatalf("state %+v", st)
	}
	j2, err := Begin(vfs.OS, root, Run{Command: "other"})
	if err != nil {
		t.Fatal(err)
	}
	j2.Close()
	ents, _ := os.ReadDir(filepath.Join(root, DirName))
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if len(names) != 2 || !strings.HasSuffix(names[0], "-migrate_upgrade-finished") || names[1] != RunDir {
		t.Fatalf("journal dir %v", names)
	}
	if _, err := Open(vfs.OS, tempRoot(t)); !errors.Is(err, ErrNoRun) {
		t.Fatalf("open without a run: %v", err)
	}
}

// TestJournalDamage: a torn last record is ignored (its step never
// started); a damaged record before the last refuses the journal.
func TestJournalDamage(t *testing.T) {
	root := tempRoot(t)
	j := begin(t, vfs.OS, root)
	if err := j.Mkdir(filepath.Join(root, "d")); err != nil {
		t.Fatal(err)
	}
	j.Close()
	seg := filepath.Join(root, DirName, RunDir, segName(1))
	good, _ := os.ReadFile(seg)
	os.WriteFile(seg, append(append([]byte{}, good...), `{"crc32c":1,"rec":{"kind":"in`...), 0o644)
	if st := open(t, vfs.OS, root).State(); st.StepsDone != 1 {
		t.Fatalf("state %+v", st)
	}
	bad := bytes.Replace(good, []byte(`"kind":"intent"`), []byte(`"kind":"intend"`), 1)
	os.WriteFile(seg, append(bad, good[bytes.IndexByte(good, '\n')+1:]...), 0o644)
	if _, err := Open(vfs.OS, root); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("open over a damaged record: %v", err)
	}
	// A Begin whose first record never became durable changed nothing:
	// Open says there is no run, Begin clears it.
	os.WriteFile(seg, []byte(`{"crc32c":1,"r`), 0o644)
	if _, err := Open(vfs.OS, root); !errors.Is(err, ErrNoRun) {
		t.Fatalf("open: %v", err)
	}
	begin(t, vfs.OS, root)
}

// TestChained: a file a step creates, a later step moves on; replays and
// rollback follow it.
func TestChained(t *testing.T) {
	root := tempRoot(t)
	setupTree(t, root)
	initial := snapshot(t, root)
	fsys := scriptFS(vfs.OS, root)
	a, b := filepath.Join(root, "d1", "a"), filepath.Join(root, "xfs", "a")
	run := func(j *Journal) {
		t.Helper()
		if err := j.Create(a, writeChunks(content("a", 5000))); err != nil {
			t.Fatal(err)
		}
		if err := j.Move(a, b); err != nil {
			t.Fatal(err)
		}
	}
	run(begin(t, fsys, root))
	j := open(t, fsys, root)
	run(j)
	if _, err := j.Rollback(); err != nil {
		t.Fatal(err)
	}
	sameTree(t, "rolled back", snapshot(t, root), initial)
}

// TestConcurrentSteps: independent steps from several goroutines.
func TestConcurrentSteps(t *testing.T) {
	root := tempRoot(t)
	initial := snapshot(t, root)
	j := begin(t, vfs.OS, root)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- j.Create(filepath.Join(root, fmt.Sprint("f", i)), writeChunks(content(fmt.Sprint(i), 4000+i)))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Phase("fold"); err != nil {
		t.Fatal(err)
	}
	if st := j.State(); st.StepsDone != 16 {
		t.Fatalf("state %+v", st)
	}
	if _, err := j.Rollback(); err != nil {
		t.Fatal(err)
	}
	sameTree(t, "rolled back", snapshot(t, root), initial)
}

// A Move within one filesystem records the source's identity, not its
// SHA-256 (a rename does not read the file); a rename that fails with EXDEV
// anyway (xfs here: one st_dev, simulated EXDEV, as two mounts of one
// filesystem) records the checksum before it copies. A file rewritten in
// place after the move (same size) is refused by the rollback.
func TestMoveIdentity(t *testing.T) {
	root := tempRoot(t)
	setupTree(t, root)
	fsys := scriptFS(vfs.OS, root)
	j := begin(t, fsys, root)
	renamed := filepath.Join(root, "d2", "old1")
	if err := j.Move(filepath.Join(root, "d1", "old1"), renamed); err != nil {
		t.Fatal(err)
	}
	copied := filepath.Join(root, "xfs", "old2")
	if err := j.Move(filepath.Join(root, "d2", "old2"), copied); err != nil {
		t.Fatal(err)
	}
	if err := j.Finish(); err != nil {
		t.Fatal(err)
	}
	j.Close()
	segs, _ := filepath.Glob(filepath.Join(runDir(root), "journal.*.jsonl"))
	var recs []record
	for _, seg := range segs {
		b, err := os.ReadFile(seg)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			var ln line
			var r record
			if json.Unmarshal([]byte(l), &ln) != nil || json.Unmarshal(ln.Rec, &r) != nil {
				t.Fatalf("record %q", l)
			}
			recs = append(recs, r)
		}
	}
	var sums []int
	for _, r := range recs {
		switch {
		case r.Kind == "intent" && r.Path == renamed && (r.Ident == nil || r.SHA256 != ""):
			t.Fatalf("rename intent %+v: want an identity and no checksum", r)
		case r.Kind == "intent" && r.Path == copied && r.Ident == nil:
			t.Fatalf("intent %+v: same device, want an identity", r)
		case r.Kind == "sum":
			sums = append(sums, r.Step)
		}
	}
	if len(sums) != 1 || sums[0] != 2 {
		t.Fatalf("sum records for steps %v, want [2] (the copy only)", sums)
	}
	j = open(t, fsys, root)
	if st := j.State(); st.Steps[1].SHA256 == "" {
		t.Fatalf("the sum record is not loaded: %+v", st.Steps[1])
	}
	// Same size, new content: the mtime tells.
	b, _ := os.ReadFile(renamed)
	b[0] ^= 1
	time.Sleep(10 * time.Millisecond)
	os.WriteFile(renamed, b, 0o644)
	if _, err := j.Rollback(); !errors.Is(err, ErrChanged) {
		t.Fatalf("rollback over a moved file rewritten in place: %v", err)
	}
}
