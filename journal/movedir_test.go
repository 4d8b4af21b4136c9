package journal

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waltool/waltool/vfs"
)

// moveDirRoot is a root with one replica dir in d1 and empty d2 and xfs
// (another filesystem, through vfs.CrossDevice).
func moveDirRoot(t *testing.T) (string, vfs.FS, map[string]string) {
	t.Helper()
	root := tempRoot(t)
	writeFile(t, filepath.Join(root, "d1", "1.4.pegasus", ".init-info"), content("ii", 200))
	writeFile(t, filepath.Join(root, "d1", "1.4.pegasus", "plog", "log.1.0"), content("p", 5000))
	writeFile(t, filepath.Join(root, "d1", "1.4.pegasus", "data", "rdb", "000001.sst"), content("s", 9000))
	for _, d := range []string{"d2", "xfs"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root, scriptFS(vfs.OS, root), snapshot(t, root)
}

func TestMoveDirRenameAndCopy(t *testing.T) {
	for _, target := range []string{"d2", "xfs"} {
		t.Run(target, func(t *testing.T) {
			root, fsys, initial := moveDirRoot(t)
			from, to := filepath.Join(root, "d1", "1.4.pegasus"), filepath.Join(root, target, "1.4.pegasus")
			j, err := Begin(fsys, root, Run{Command: "t"})
			if err != nil {
				t.Fatal(err)
			}
			if err := j.MoveDir(from, to); err != nil {
				t.Fatal(err)
			}
			// A replay of the done step is a no-op.
			if err := j.MoveDir(from, to); err != nil {
				t.Fatal(err)
			}
			st := j.State()
			if len(st.Steps) != 1 || st.Steps[0].Op != OpMoveDir || st.Steps[0].Size != 14200 || !st.Steps[0].Done {
				t.Fatalf("state: %+v", st.Steps)
			}
			j.Close()
			snap := snapshot(t, root)
			for p := range snap {
				if strings.HasSuffix(p, ".tmp") || strings.HasSuffix(p, ".ori") || strings.HasPrefix(p, "d1/1.4") {
					t.Fatalf("left behind: %s", p)
				}
			}
			if snap[target+"/1.4.pegasus/plog/log.1.0"] != initial["d1/1.4.pegasus/plog/log.1.0"] {
				t.Fatalf("moved content differs: %v", snap)
			}
			// The journal reads back with the copy's hashes (across only).
			j, err = Open(fsys, root)
			if err != nil {
				t.Fatal(err)
			}
			if got := j.steps[0].hashes != nil; got != (target == "xfs") {
				t.Fatalf("hashes recorded: %v", got)
			}
			if _, err := j.Rollback(); err != nil {
				t.Fatal(err)
			}
			j.Close()
			sameTree(t, "rolled back", snapshot(t, root), initial)
		})
	}
}

// A rollback refuses a moved tree the server has written to (a file
// appended, or a file added), and leaves it where it is.
func TestMoveDirRollbackRefusesChanged(t *testing.T) {
	for _, change := range []string{"append", "add"} {
		for _, target := range []string{"d2", "xfs"} {
			root, fsys, _ := moveDirRoot(t)
			from, to := filepath.Join(root, "d1", "1.4.pegasus"), filepath.Join(root, target, "1.4.pegasus")
			j, err := Begin(fsys, root, Run{Command: "t"})
			if err != nil {
				t.Fatal(err)
			}
			if err := j.MoveDir(from, to); err != nil {
				t.Fatal(err)
			}
			if err := j.Finish(); err != nil {
				t.Fatal(err)
			}
			if change == "append" {
				f, _ := os.OpenFile(filepath.Join(to, "plog", "log.1.0"), os.O_APPEND|os.O_WRONLY, 0)
				f.Write([]byte("more"))
				f.Close()
			} else {
				writeFile(t, filepath.Join(to, "plog", "log.2.5000"), []byte("new"))
			}
			if _, err := j.Rollback(); !errors.Is(err, ErrChanged) {
				t.Fatalf("%s %s: rollback of a changed tree: %v", change, target, err)
			}
			j.Close()
			if _, err := os.Stat(to); err != nil {
				t.Fatalf("%s %s: the changed tree was moved: %v", change, target, err)
			}
			if _, err := os.Stat(from); !errors.Is(err, fs.ErrNotExist) {
				t.Fatalf("%s %s: something is back at the source: %v", change, target, err)
			}
		}
	}
}

// MoveDir refuses a target (or one of its .tmp/.ori names) already there,
// before its intent; and resumes from an intent only.
func TestMoveDirRefusalsAndIntentOnly(t *testing.T) {
	root, fsys, initial := moveDirRoot(t)
	from, to := filepath.Join(root, "d1", "1.4.pegasus"), filepath.Join(root, "xfs", "1.4.pegasus")
	j, err := Begin(fsys, root, Run{Command: "t"})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{to, to + ".tmp", to + ".ori", from + ".ori", from + ".tmp"} {
		if err := os.Mkdir(name, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := j.MoveDir(from, to); !errors.Is(err, fs.ErrExist) {
			t.Fatalf("%s there: %v", name, err)
		}
		os.Remove(name)
	}
	if len(j.State().Steps) != 0 {
		t.Fatal("a refused step was recorded")
	}
	// Intent only: the first rename (the EXDEV probe) fails hard.
	f := vfs.NewFaulty(vfs.OS)
	f.Inject(vfs.Fault{Op: vfs.OpRename, Crash: true})
	j.Close()
	_, err = Begin(scriptFS(f, root), root, Run{Command: "t"})
	if err == nil {
		t.Fatal("begin over an unfinished run")
	}
	os.RemoveAll(filepath.Join(root, DirName))
	j, err = Begin(scriptFS(f, root), root, Run{Command: "t"})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.MoveDir(from, to); !errors.Is(err, vfs.ErrCrashed) {
		t.Fatalf("no crash: %v", err)
	}
	j.Close()
	j, err = Open(fsys, root)
	if err != nil {
		t.Fatal(err)
	}
	if st := j.State(); st.StepsPending != 1 {
		t.Fatalf("not intent-only: %+v", st)
	}
	if err := j.MoveDir(from, to); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Rollback(); err != nil {
		t.Fatal(err)
	}
	j.Close()
	sameTree(t, "rolled back", snapshot(t, root), initial)
}
