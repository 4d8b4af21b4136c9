package reclaim

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/vfs"
)

// content is what the test writes in file index i: distinct per file, so
// that a copy in the trash can be checked byte for byte.
func content(i int) []byte {
	return bytes.Repeat([]byte(fmt.Sprintf("log file %d;", i)), 100+i)
}

// mkLog writes a log dir with files of indices first..first+n-1 and
// returns their paths in ascending index order.
func mkLog(t *testing.T, dir string, first, n int) []string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var paths []string
	var off int64
	for i := first; i < first+n; i++ {
		p := filepath.Join(dir, format.FileName(int32(i), off))
		if err := os.WriteFile(p, content(i), 0o644); err != nil {
			t.Fatal(err)
		}
		off += int64(len(content(i)))
		paths = append(paths, p)
	}
	return paths
}

// planOf observes paths as one dir's plan entries.
func planOf(t *testing.T, dir string, paths ...string) Dir {
	t.Helper()
	d := Dir{Path: dir}
	for _, p := range paths {
		f, err := Observe(vfs.OS, p)
		if err != nil {
			t.Fatal(err)
		}
		d.Files = append(d.Files, f)
	}
	return d
}

// indices lists the log file indices in dir.
func indices(t *testing.T, dir string) []int {
	t.Helper()
	ld, err := format.OpenDir(vfs.OS, dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, f := range ld.Files {
		out = append(out, int(f.Index))
	}
	return out
}

// suffixOf checks that the indices left in dir are a suffix of the
// original first..first+n-1 (no hole) and returns how many went.
func suffixOf(t *testing.T, dir string, first, n int) int {
	t.Helper()
	got := indices(t, dir)
	gone := n - len(got)
	for k, idx := range got {
		if idx != first+gone+k {
			t.Fatalf("%s holds %v: not a suffix of %d..%d, a hole", dir, got, first, first+n-1)
		}
	}
	return gone
}

// snapshot is every path under dirs with its size and content hash, to
// show that nothing changed.
func snapshot(t *testing.T, dirs ...string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, d := range dirs {
		filepath.WalkDir(d, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if e.Type().IsRegular() {
				b, _ := os.ReadFile(p)
				m[p] = fmt.Sprintf("%d:%x", len(b), b[:min(len(b), 32)])
			} else {
				m[p] = e.Type().String()
			}
			return nil
		})
	}
	return m
}

// recorder logs the mutating operations and dir syncs in order.
type recorder struct {
	vfs.FS
	mu  sync.Mutex
	ops []string
}

func (r *recorder) log(s string) { r.mu.Lock(); r.ops = append(r.ops, s); r.mu.Unlock() }
func (r *recorder) Remove(p string) error {
	r.log("remove " + filepath.Base(p))
	return r.FS.Remove(p)
}
func (r *recorder) SyncDir(d string) error {
	r.log("syncdir " + filepath.Base(d))
	return r.FS.SyncDir(d)
}

// Files go in ascending index order, and each removal is made durable by
// an fsync of its dir before the next one starts; the report counts them.
func TestDeletesInOrderEachStepDurable(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "plog")
	other := filepath.Join(root, "slog")
	paths := mkLog(t, dir, 3, 5)
	opaths := mkLog(t, other, 10, 2)
	rec := &recorder{FS: vfs.OS}
	r, err := Apply(rec, Plan{Dirs: []Dir{planOf(t, dir, paths[:3]...), planOf(t, other, opaths[:1]...)}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"remove " + filepath.Base(paths[0]), "syncdir plog",
		"remove " + filepath.Base(paths[1]), "syncdir plog",
		"remove " + filepath.Base(paths[2]), "syncdir plog",
		"remove " + filepath.Base(opaths[0]), "syncdir slog",
	}
	if !slices.Equal(rec.ops, want) {
		t.Fatalf("operations\n%q\nwant\n%q", rec.ops, want)
	}
	if got := indices(t, dir); !slices.Equal(got, []int{6, 7}) {
		t.Fatalf("plog left with %v", got)
	}
	if got := indices(t, other); !slices.Equal(got, []int{11}) {
		t.Fatalf("slog left with %v", got)
	}
	var bytes3 int64
	for i := 3; i < 6; i++ {
		bytes3 += int64(len(content(i)))
	}
	if !r.Complete || r.RemovedFiles != 4 || r.Dirs[0].RemovedBytes != bytes3 || r.Dirs[0].FreedBytes != bytes3 ||
		r.Dirs[1].RemovedBytes != int64(len(content(10))) || r.RemovedBytes != bytes3+int64(len(content(10))) {
		t.Fatalf("report %+v", r)
	}
	for _, d := range r.Dirs {
		for _, f := range d.Files {
			if f.Outcome != Done || f.Action != Delete {
				t.Fatalf("file %+v", f)
			}
		}
	}
	if r.Dirs[0].Files[2].Index != 5 {
		t.Fatalf("index %d", r.Dirs[0].Files[2].Index)
	}
}

// A plan that does not match the dirs as they are is refused as a whole:
// nothing anywhere is touched, and the report says which entry and why.
func TestRefusesAStalePlanOrOneThatWouldLeaveAHole(t *testing.T) {
	type setup struct {
		plan   func(t *testing.T, dir string, p []string) Plan
		opt    func(root string) Options
		reason string
	}
	one := func(d Dir) Plan { return Plan{Dirs: []Dir{d}} }
	cases := map[string]setup{
		"out of order": {plan: func(t *testing.T, dir string, p []string) Plan {
			return one(planOf(t, dir, p[1], p[0]))
		}, reason: "out of order"},
		"skips one": {plan: func(t *testing.T, dir string, p []string) Plan {
			return one(planOf(t, dir, p[0], p[2]))
		}, reason: "not the lowest-index remaining file"},
		"not the lowest": {plan: func(t *testing.T, dir string, p []string) Plan {
			return one(planOf(t, dir, p[1]))
		}, reason: "would leave a hole"},
		"in another dir": {plan: func(t *testing.T, dir string, p []string) Plan {
			d := planOf(t, dir, p[0])
			d.Path = filepath.Join(filepath.Dir(dir), "elsewhere")
			return one(d)
		}, reason: "not directly in its log dir"},
		"in a sub dir": {plan: func(t *testing.T, dir string, p []string) Plan {
			sub := filepath.Join(dir, "sub")
			os.Mkdir(sub, 0o755)
			q := filepath.Join(sub, "log.1.0")
			os.WriteFile(q, []byte("x"), 0o644)
			return one(planOf(t, dir, q))
		}, reason: "not directly in its log dir"},
		"dot dot": {plan: func(t *testing.T, dir string, p []string) Plan {
			d := planOf(t, dir, p[0])
			d.Files[0].Path = filepath.Join(dir, "..", filepath.Base(dir), "..", "log.1.0")
			return one(d)
		}, reason: "not directly in its log dir"},
		"not a log name": {plan: func(t *testing.T, dir string, p []string) Plan {
			q := filepath.Join(dir, "log.1.0.removed")
			os.WriteFile(q, []byte("x"), 0o644)
			return one(planOf(t, dir, q))
		}, reason: "not a log file name"},
		"metadata": {plan: func(t *testing.T, dir string, p []string) Plan {
			q := filepath.Join(dir, ".init-info")
			os.WriteFile(q, []byte("{}"), 0o644)
			return one(planOf(t, dir, q))
		}, reason: "not a log file name"},
		"grew since planned": {plan: func(t *testing.T, dir string, p []string) Plan {
			d := planOf(t, dir, p[0], p[1])
			f, _ := os.OpenFile(p[1], os.O_APPEND|os.O_WRONLY, 0)
			f.Write([]byte("more"))
			f.Close()
			return one(d)
		}, reason: "changed since planned"},
		"modified since planned": {plan: func(t *testing.T, dir string, p []string) Plan {
			d := planOf(t, dir, p[0])
			os.Chtimes(p[0], time.Time{}, time.Now().Add(time.Hour))
			return one(d)
		}, reason: "changed since planned: modified"},
		"replaced since planned": {plan: func(t *testing.T, dir string, p []string) Plan {
			d := planOf(t, dir, p[0])
			info, _ := os.Stat(p[0])
			os.WriteFile(p[0]+".new", content(1), 0o644)
			os.Rename(p[0]+".new", p[0])
			os.Chtimes(p[0], time.Time{}, info.ModTime())
			return one(d)
		}, reason: "replaced since planned"},
		"gone since planned": {plan: func(t *testing.T, dir string, p []string) Plan {
			d := planOf(t, dir, p[0])
			os.Rename(p[0], filepath.Join(filepath.Dir(dir), "moved-away"))
			return one(d)
		}, reason: "not in the log dir"},
		"symlink": {plan: func(t *testing.T, dir string, p []string) Plan {
			target := filepath.Join(filepath.Dir(dir), "elsewhere-file")
			os.Rename(p[0], target)
			os.Symlink(target, p[0])
			return one(planOf(t, dir, p[0]))
		}, reason: "a symlink"},
		"duplicate index": {plan: func(t *testing.T, dir string, p []string) Plan {
			os.WriteFile(filepath.Join(dir, "log.3.999999"), []byte("x"), 0o644)
			return one(planOf(t, dir, p[0]))
		}, reason: "share index"},
		"a fifo at a crossed index": {plan: func(t *testing.T, dir string, p []string) Plan {
			d := planOf(t, dir, p[0], p[1])
			os.Remove(p[0])
			syscall.Mkfifo(p[0], 0o644)
			d.Files = d.Files[1:]
			return one(d)
		}, reason: "a FIFO, at an index the plan crosses"},
		"dir twice": {plan: func(t *testing.T, dir string, p []string) Plan {
			return Plan{Dirs: []Dir{planOf(t, dir, p[0]), planOf(t, dir+"/", p[1])}}
		}, reason: "appears twice"},
		"trash in the log dir": {plan: func(t *testing.T, dir string, p []string) Plan {
			return one(planOf(t, dir, p[0]))
		}, opt: func(root string) Options { return Options{Trash: filepath.Join(root, "plog", "trash")} }, reason: "the trash dir"},
		"log dir in the trash": {plan: func(t *testing.T, dir string, p []string) Plan {
			return one(planOf(t, dir, p[0]))
		}, opt: func(root string) Options { return Options{Trash: root} }, reason: "is in the trash dir"},
		"one bad dir refuses all": {plan: func(t *testing.T, dir string, p []string) Plan {
			good := filepath.Join(filepath.Dir(dir), "good")
			q := mkLog(t, good, 1, 2)
			return Plan{Dirs: []Dir{planOf(t, good, q...), planOf(t, dir, p[1])}}
		}, reason: "would leave a hole"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "plog")
			p := mkLog(t, dir, 1, 4)
			plan := c.plan(t, dir, p)
			opt := Options{}
			if c.opt != nil {
				opt = c.opt(root)
			}
			before := snapshot(t, root)
			r, err := Apply(vfs.OS, plan, opt)
			if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), c.reason) {
				t.Fatalf("error %v, want ErrRefused with %q", err, c.reason)
			}
			if !r.Refused || r.Complete || r.RemovedFiles != 0 {
				t.Fatalf("report %+v", r)
			}
			refused := false
			for _, d := range r.Dirs {
				for _, f := range d.Files {
					refused = refused || (f.Outcome == Refused && strings.Contains(f.Reason, c.reason))
					if f.Outcome != Refused && f.Outcome != NotAttempted {
						t.Fatalf("file %+v", f)
					}
				}
			}
			if !refused {
				t.Fatalf("no entry refused with %q: %+v", c.reason, r.Dirs)
			}
			after := snapshot(t, root)
			if fmt.Sprint(before) != fmt.Sprint(after) {
				t.Fatalf("the tree changed:\n%v\n%v", before, after)
			}
		})
	}
}

// trashed checks that every original file is either still in its dir or,
// complete, in the trash: nothing is ever lost.
func trashed(t *testing.T, trash string, paths []string, first int) (inTrash int) {
	t.Helper()
	for k, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			if !bytes.Equal(b, content(first+k)) {
				t.Fatalf("%s changed", p)
			}
			continue
		}
		abs, _ := filepath.Abs(p)
		tp := filepath.Join(trash, abs)
		b, err := os.ReadFile(tp)
		if err != nil {
			t.Fatalf("%s is neither in its dir nor in the trash: %v", p, err)
		}
		if !bytes.Equal(b, content(first+k)) {
			t.Fatalf("%s: the trash holds %d bytes, not the file's %d", tp, len(b), len(content(first+k)))
		}
		inTrash++
	}
	return inTrash
}

// With a trash dir on the same filesystem, files are renamed into
// <trash>/<log dir>/, nothing is freed; a name already in the trash is
// never replaced.
func TestTrashByRename(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "data", "plog")
	trash := filepath.Join(root, "trash")
	paths := mkLog(t, dir, 1, 4)
	r, err := Apply(vfs.OS, Plan{Dirs: []Dir{planOf(t, dir, paths[:2]...)}}, Options{Trash: trash})
	if err != nil {
		t.Fatal(err)
	}
	if n := trashed(t, trash, paths, 1); n != 2 || suffixOf(t, dir, 1, 4) != 2 {
		t.Fatalf("%d in the trash", n)
	}
	if r.FreedBytes != 0 || r.RemovedFiles != 2 || r.Dirs[0].Files[0].Action != Move ||
		r.Dirs[0].Files[1].TrashPath != filepath.Join(trash, dir, filepath.Base(paths[1])) {
		t.Fatalf("report %+v", r)
	}
	// A file of that name already in the trash stays, and stops the run.
	os.WriteFile(filepath.Join(trash, paths[2]), []byte("older"), 0o644)
	r, err = Apply(vfs.OS, Plan{Dirs: []Dir{planOf(t, dir, paths[2:]...)}}, Options{Trash: trash})
	if !errors.Is(err, fs.ErrExist) || r.Dirs[0].Files[0].Outcome != Failed || r.Dirs[0].Files[1].Outcome != NotAttempted {
		t.Fatalf("%v, %+v", err, r)
	}
	if b, _ := os.ReadFile(filepath.Join(trash, paths[2])); string(b) != "older" || suffixOf(t, dir, 1, 4) != 2 {
		t.Fatal("a trash file was replaced, or the log changed")
	}
}

// An apply stopped after it copied a file into the trash and before the
// removal of the original was durable (a crash took the remove back, or
// it failed with EIO) leaves the file in its dir and a copy in the trash.
// Applying again carries the plan out, by rename or by copy: the copy is
// an earlier apply's (same bytes), removed, and the step starts over. It
// used to stop at that file for good: "file exists".
func TestApplyAgainAfterACopyLeftInTheTrash(t *testing.T) {
	for _, copyMode := range []bool{false, true} {
		root := t.TempDir()
		dir := filepath.Join(root, "plog")
		trash := filepath.Join(root, "trash")
		paths := mkLog(t, dir, 1, 4)
		left := filepath.Join(trash, paths[0])
		if err := os.MkdirAll(filepath.Dir(left), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(left, content(1), 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := Apply(vfs.OS, Plan{Dirs: []Dir{planOf(t, dir, paths[:2]...)}}, Options{Trash: trash, Copy: copyMode})
		if err != nil || !r.Complete {
			t.Fatalf("copy %v: %v %+v", copyMode, err, r)
		}
		if n := trashed(t, trash, paths, 1); n != 2 || suffixOf(t, dir, 1, 4) != 2 {
			t.Fatalf("copy %v: %d in the trash", copyMode, n)
		}
	}
}

// A partial copy an apply left in the trash when a power loss stopped it
// mid-copy (its name reached the disk, not all its bytes) does not stop
// the next apply: it is reclaim's own, never the only copy, and is
// removed before the file is copied again. The next apply used to stop
// there for good ("a copy interrupted earlier: check it and remove it").
func TestApplyAgainAfterAPartialCopyLeftInTheTrash(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "plog")
	trash := filepath.Join(root, "trash")
	paths := mkLog(t, dir, 1, 4)
	partial := filepath.Join(trash, paths[0]) + partialSuffix
	if err := os.MkdirAll(filepath.Dir(partial), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(partial, content(1)[:7], 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Apply(vfs.OS, Plan{Dirs: []Dir{planOf(t, dir, paths[:2]...)}}, Options{Trash: trash, Copy: true})
	if err != nil || !r.Complete {
		t.Fatalf("%v %+v", err, r)
	}
	if n := trashed(t, trash, paths, 1); n != 2 || suffixOf(t, dir, 1, 4) != 2 {
		t.Fatalf("%d in the trash", n)
	}
	if _, err := os.Stat(partial); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the partial copy is still there: %v", err)
	}
}

// Across filesystems (forced by Options.Copy, or an EXDEV from the rename,
// injected through Faulty) files are copied, synced and only then removed;
// one EXDEV switches the rest of the dir to copying.
func TestTrashAcrossFilesystems(t *testing.T) {
	for _, how := range []string{"option", "exdev"} {
		t.Run(how, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "plog")
			trash := filepath.Join(root, "trash")
			paths := mkLog(t, dir, 1, 4)
			fsys := vfs.NewFaulty(vfs.OS)
			opt := Options{Trash: trash}
			if how == "option" {
				opt.Copy = true
			} else {
				fsys.Inject(vfs.Fault{Op: vfs.OpRename, Path: dir, Err: syscall.EXDEV})
			}
			r, err := Apply(fsys, Plan{Dirs: []Dir{planOf(t, dir, paths[:3]...)}}, opt)
			if err != nil {
				t.Fatal(err)
			}
			if n := trashed(t, trash, paths, 1); n != 3 || suffixOf(t, dir, 1, 4) != 3 {
				t.Fatalf("%d in the trash", n)
			}
			for _, f := range r.Dirs[0].Files {
				if f.Action != Copy || f.Outcome != Done {
					t.Fatalf("file %+v", f)
				}
			}
			if r.FreedBytes != r.RemovedBytes || r.FreedBytes == 0 {
				t.Fatalf("report %+v", r)
			}
			if how == "exdev" && fsys.Count(vfs.OpRename) != 4 { // the EXDEV, then one per copy
				t.Fatalf("%d renames", fsys.Count(vfs.OpRename))
			}
			ents, _ := os.ReadDir(filepath.Join(trash, dir))
			for _, e := range ents {
				if strings.HasSuffix(e.Name(), partialSuffix) {
					t.Fatalf("partial copy %s left", e.Name())
				}
			}
		})
	}
}

// faultCase is one way to break an apply: a fault on the n-th matching
// operation, in delete, rename-trash or copy-trash mode.
type faultCase struct {
	mode string // "delete", "move", "copy"
	op   vfs.Op
}

var faultCases = []faultCase{
	{"delete", vfs.OpRemove}, {"delete", vfs.OpSyncDir}, {"delete", vfs.OpOpen},
	{"move", vfs.OpRename}, {"move", vfs.OpSyncDir}, {"move", vfs.OpCreate},
	{"copy", vfs.OpCreate}, {"copy", vfs.OpWrite}, {"copy", vfs.OpSync}, {"copy", vfs.OpRename},
	{"copy", vfs.OpSyncDir}, {"copy", vfs.OpRemove}, {"copy", vfs.OpOpen},
}

// runFaulted applies a plan of the 5 lowest of 7 files with fault ft, then
// checks what every interrupted apply must leave: the log a suffix of its
// indices, every file in its dir or whole in the trash, and a report whose
// removed count is what is gone, made of Done files, then at most one
// failed one, then not-attempted ones.
func runFaulted(t *testing.T, c faultCase, ft vfs.Fault, undo vfs.Undo) (r *Report, err error) {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "plog")
	trash := filepath.Join(root, "trash")
	paths := mkLog(t, dir, 1, 7)
	fsys := vfs.NewFaulty(vfs.OS)
	fsys.SetCrashMode(vfs.CrashMode{Undo: undo, Stash: filepath.Join(root, "stash")})
	opt := Options{}
	if c.mode != "delete" {
		opt.Trash = trash
		opt.Copy = c.mode == "copy"
	}
	plan := Plan{Dirs: []Dir{planOf(t, dir, paths[:5]...)}}
	fsys.Inject(ft)
	r, err = Apply(fsys, plan, opt)
	gone := suffixOf(t, dir, 1, 7)
	if c.mode != "delete" {
		trashed(t, trash, paths, 1)
	}
	if err == nil {
		return r, nil
	}
	if r.Refused {
		for _, f := range r.Dirs[0].Files {
			if f.Outcome != Refused && f.Outcome != NotAttempted {
				t.Fatalf("refused plan, file %+v", f)
			}
		}
		if gone != 0 {
			t.Fatalf("refused, yet %d files went", gone)
		}
		return r, err
	}
	// Outcomes: done..., then one of failed/not-durable/refused, then not attempted.
	stage, removed := 0, 0
	for _, f := range r.Dirs[0].Files {
		switch {
		case f.Outcome == Done && stage == 0:
			removed++
		case f.Outcome == NotDurable && stage == 0:
			removed++
			stage = 1
		case (f.Outcome == Failed || f.Outcome == Refused) && stage == 0:
			stage = 1
		case f.Outcome == NotAttempted && stage == 1:
		default:
			t.Fatalf("outcomes out of sequence: %+v", r.Dirs[0].Files)
		}
	}
	if removed != r.RemovedFiles || (ft.Crash == false && removed != gone) {
		t.Fatalf("report says %d removed, %d gone from the dir: %+v", r.RemovedFiles, gone, r.Dirs[0].Files)
	}
	if r.Complete || r.StoppedAt == "" {
		t.Fatalf("report %+v", r)
	}
	return r, err
}

// An unlink, rename, create, write, sync or dir fsync failing at any point
// of an apply leaves no hole, loses no file, and the report says what was
// done and what was not.
func TestFaultMidApplyLeavesNoHole(t *testing.T) {
	for _, c := range faultCases {
		t.Run(fmt.Sprintf("%s/%s", c.mode, c.op), func(t *testing.T) {
			fired := 0
			for after := 0; ; after++ {
				r, err := runFaulted(t, c, vfs.Fault{Op: c.op, After: after}, vfs.UndoNone)
				if err == nil {
					if r == nil || !r.Complete {
						t.Fatalf("no error, incomplete: %+v", r)
					}
					break // the fault fell after the last operation
				}
				if errors.Is(err, ErrRefused) && c.op != vfs.OpOpen {
					t.Fatalf("after %d: refused: %v", after, err)
				}
				fired++
			}
			if fired == 0 {
				t.Fatal("the fault never hit the apply")
			}
		})
	}
}

// A power loss at any point of an apply (Faulty.Crash through a crash
// fault), with the removes and renames no dir fsync made durable kept or
// taken back, leaves no hole and loses no file: a copy into the trash
// whose name was not yet durable is gone, but then so is not the original.
func TestCrashMidApplyLeavesNoHole(t *testing.T) {
	for _, c := range faultCases {
		for _, undo := range []vfs.Undo{vfs.UndoNone, vfs.UndoAll} {
			t.Run(fmt.Sprintf("%s/%s/%s", c.mode, c.op, vfs.CrashMode{Undo: undo}), func(t *testing.T) {
				for after := 0; ; after++ {
					r, err := runFaulted(t, c, vfs.Fault{Op: c.op, After: after, Crash: true}, undo)
					if err == nil {
						break
					}
					if !errors.Is(err, vfs.ErrCrashed) && !r.Refused {
						t.Fatalf("after %d: %v", after, err)
					}
				}
			})
		}
	}
}

// meddler appends to one file when another is removed: a file that
// changes after the plan was checked, between two steps.
type meddler struct {
	vfs.FS
	after, victim string
}

func (m meddler) Remove(p string) error {
	err := m.FS.Remove(p)
	if p == m.after {
		f, _ := os.OpenFile(m.victim, os.O_APPEND|os.O_WRONLY, 0)
		f.Write([]byte("appended"))
		f.Close()
	}
	return err
}

// Each file is checked again right before it goes: one changed after the
// plan was checked stops the run there, the earlier ones done.
func TestFileChangedMidApplyIsKept(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "plog")
	p := mkLog(t, dir, 1, 4)
	r, err := Apply(meddler{vfs.OS, p[0], p[1]}, Plan{Dirs: []Dir{planOf(t, dir, p[:3]...)}}, Options{})
	if !errors.Is(err, ErrRefused) || r.Refused || r.StoppedAt != p[1] {
		t.Fatalf("%v, %+v", err, r)
	}
	fs := r.Dirs[0].Files
	if fs[0].Outcome != Done || fs[1].Outcome != Refused || !strings.Contains(fs[1].Reason, "changed since planned") ||
		fs[2].Outcome != NotAttempted || r.RemovedFiles != 1 {
		t.Fatalf("%+v", fs)
	}
	if got := indices(t, dir); !slices.Equal(got, []int{2, 3, 4}) {
		t.Fatalf("left %v", got)
	}
}

// The first failure stops everything: later dirs are not attempted, and
// say why.
func TestFailureStopsLaterDirs(t *testing.T) {
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	pa, pb := mkLog(t, a, 1, 3), mkLog(t, b, 1, 3)
	fsys := vfs.NewFaulty(vfs.OS)
	fsys.Inject(vfs.Fault{Op: vfs.OpRemove, Path: pa[1], Err: syscall.EIO})
	r, err := Apply(fsys, Plan{Dirs: []Dir{planOf(t, a, pa[:2]...), planOf(t, b, pb[:2]...)}}, Options{})
	if !errors.Is(err, syscall.EIO) || r.StoppedAt != pa[1] || r.RemovedFiles != 1 {
		t.Fatalf("%v, %+v", err, r)
	}
	if f := r.Dirs[0].Files[1]; f.Outcome != Failed || !strings.Contains(f.Reason, "input/output error") {
		t.Fatalf("%+v", f)
	}
	for _, f := range r.Dirs[1].Files {
		if f.Outcome != NotAttempted || f.Reason != "stopped after the failure on "+pa[1] {
			t.Fatalf("%+v", f)
		}
	}
	if !slices.Equal(indices(t, a), []int{2, 3}) || !slices.Equal(indices(t, b), []int{1, 2, 3}) {
		t.Fatal("dirs changed beyond the failure")
	}
}
