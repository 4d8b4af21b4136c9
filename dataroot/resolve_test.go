package dataroot

import (
	"github.com/waltool/waltool/vfs"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// countingFS counts the listings of each dir.
type countingFS struct {
	vfs.FS
	mu    sync.Mutex
	lists map[string]int
}

func (c *countingFS) ReadDir(dir string) ([]fs.DirEntry, error) {
	c.mu.Lock()
	c.lists[filepath.Clean(dir)]++
	c.mu.Unlock()
	return c.FS.ReadDir(dir)
}

// resolveRoot lays out <root>/replica/{slog,reps} with two slog files,
// replica 1.4 with one plog file and replica 1.5 with an empty plog.
func resolveRoot(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "root")
	reps := filepath.Join(root, "replica", "reps")
	slog := filepath.Join(root, "replica", "slog")
	mkdirs(t, slog)
	dir := mkReplica(t, reps, gp(1, 4), 8)
	mkReplica(t, reps, gp(1, 5), 8)
	for _, f := range []string{filepath.Join(slog, "log.1.0"), filepath.Join(slog, "log.2.100"), filepath.Join(dir, "plog", "log.1.0")} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// logDirs summarises a target's listings: "kind path owner files".
func logDirs(tg *Target) []string {
	var out []string
	for _, l := range tg.Logs {
		owner := "-"
		if l.Owner != nil {
			owner = l.Owner.String()
		}
		out = append(out, strings.Join([]string{string(l.Kind), l.Dir.Path, owner, strings.Repeat("f", len(l.Dir.Files))}, " "))
	}
	return out
}

func TestResolveKinds(t *testing.T) {
	root := resolveRoot(t)
	reps := filepath.Join(root, "replica", "reps")
	slog := filepath.Join(root, "replica", "slog")
	r14 := filepath.Join(reps, "1.4.pegasus")
	whole := []string{"slog dir " + slog + " - ff", "plog dir " + r14 + "/plog 1.4 f", "plog dir " + reps + "/1.5.pegasus/plog 1.5 "}
	for _, c := range []struct {
		path, what, clean string
		rootPath          string // Root.Path, for roots
		logs              []string
	}{
		{root, "data root", root, root, whole},
		{root + "/", "data root", root, root, whole},
		{root + "/replica", "data root", root + "/replica", root, whole},
		{root + "/replica/", "data root", root + "/replica", root, whole},
		// The root's lock and journal are in the data root, however PATH
		// names it.
		{reps, "data root", reps, root, whole},
		{reps + "/1.4.pegasus/plog/../..", "data root", reps, root, whole},
		{root + "/./replica/reps/../../", "data root", root, root, whole},
		{r14, "replica 1.4", r14, "", []string{"plog dir " + r14 + "/plog 1.4 f"}},
		{r14 + "/", "replica 1.4", r14, "", []string{"plog dir " + r14 + "/plog 1.4 f"}},
		{r14 + "/plog/", "plog dir", r14 + "/plog", "", []string{"plog dir " + r14 + "/plog 1.4 f"}},
		{slog + "/", "slog dir", slog, "", []string{"slog dir " + slog + " - ff"}},
		{slog + "/log.2.100", "log file", slog + "/log.2.100", "", nil},
	} {
		tg, err := Resolve(nil, c.path, Options{})
		if err != nil {
			t.Errorf("%s: %v", c.path, err)
			continue
		}
		if tg.What() != c.what || tg.Path != c.clean {
			t.Errorf("%s: %s %s, want %s %s", c.path, tg.What(), tg.Path, c.what, c.clean)
		}
		if got := logDirs(tg); strings.Join(got, "\n") != strings.Join(c.logs, "\n") {
			t.Errorf("%s: logs\n%s\nwant\n%s", c.path, strings.Join(got, "\n"), strings.Join(c.logs, "\n"))
		}
		if c.rootPath != "" && tg.Root.Path != c.rootPath {
			t.Errorf("%s: root %s, want %s", c.path, tg.Root.Path, c.rootPath)
		}
		if c.what == "log file" && (tg.File == nil || tg.File.StartOffset != 100 || len(tg.Files()) != 1) {
			t.Errorf("%s: file %+v", c.path, tg.File)
		}
	}
}

// Relative paths, "." and ".." name what they point at; a name-less path
// is made absolute. Through a symlinked root too (the working directory is
// then the logical one, as a shell's).
func TestResolveRelativeAndSymlinked(t *testing.T) {
	real := resolveRoot(t)
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	for _, root := range []string{real, link} {
		r14 := filepath.Join(root, "replica", "reps", "1.4.pegasus")
		t.Chdir(r14)
		for _, c := range []struct {
			path, what, clean string
			files             int
		}{
			{".", "replica 1.4", r14, 1},
			{"./", "replica 1.4", r14, 1},
			{"..", "data root", filepath.Join(root, "replica", "reps"), 3},
			{"../../../replica/reps", "data root", "../../../replica/reps", 3},
			{"../../..", "data root", root, 3},
			{"../..", "data root", filepath.Join(root, "replica"), 3},
			{"plog", "plog dir", "plog", 1},
			{"../1.4.pegasus", "replica 1.4", "../1.4.pegasus", 1},
		} {
			tg, err := Resolve(nil, c.path, Options{})
			if err != nil {
				t.Errorf("%s in %s: %v", c.path, r14, err)
				continue
			}
			if tg.What() != c.what || tg.Path != c.clean {
				t.Errorf("%s in %s: %s %s, want %s %s", c.path, r14, tg.What(), tg.Path, c.what, c.clean)
			}
			if len(tg.Logs) == 0 || tg.Logs[len(tg.Logs)-1].Owner == nil {
				t.Errorf("%s in %s: logs %v", c.path, r14, logDirs(tg))
			}
			if len(tg.Files()) != c.files {
				t.Errorf("%s in %s: files %v", c.path, r14, tg.Files())
			}
			if tg.Kind == RootTarget && absPath(tg.Root.Path) != root {
				t.Errorf("%s in %s: the data root is %s, want %s", c.path, r14, tg.Root.Path, root)
			}
		}
		if _, err := Resolve(nil, link, Options{}); err != nil {
			t.Error(err)
		}
	}
}

// Resolve lists each log dir once and hands the listings on.
func TestResolveListsEachLogDirOnce(t *testing.T) {
	root := resolveRoot(t)
	for _, p := range []string{root, filepath.Join(root, "replica", "slog"), filepath.Join(root, "replica", "reps", "1.4.pegasus")} {
		fsys := &countingFS{FS: vfs.ReadOnly(vfs.OS), lists: map[string]int{}}
		tg, err := Resolve(fsys, p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(tg.Logs) == 0 {
			t.Fatalf("%s: no logs", p)
		}
		for _, l := range tg.Logs {
			if n := fsys.lists[l.Dir.Path]; n != 1 {
				t.Errorf("%s: %s listed %d times", p, l.Dir.Path, n)
			}
		}
		if n := fsys.lists[p]; n > 1 {
			t.Errorf("%s listed %d times", p, n)
		}
	}
}

func TestResolveFlagsAndErrors(t *testing.T) {
	root := resolveRoot(t)
	empty := t.TempDir()
	slog := filepath.Join(root, "replica", "slog")
	reps := filepath.Join(root, "replica", "reps")

	tg, err := Resolve(nil, empty, Options{Server: Flags(slog, "")})
	if err != nil || tg.Kind != RootTarget || len(tg.Logs) != 1 || tg.Logs[0].Dir.Path != slog {
		t.Fatalf("--slog-dir: %v %+v", err, tg)
	}
	tg, err = Resolve(nil, empty, Options{Server: Flags("", reps)})
	if err != nil || tg.Kind != RootTarget || len(tg.Root.Replicas) != 2 || len(tg.Logs) != 2 {
		t.Fatalf("--data-dirs: %v %+v", err, tg)
	}
	// The reps dir's slog is ../slog unless --slog-dir says otherwise.
	tg, err = Resolve(nil, reps, Options{Server: Flags(empty, "")})
	if err != nil || tg.Root.SlogDir != empty || len(tg.Logs) != 3 || len(tg.Logs[0].Dir.Files) != 0 || tg.Root.Path != root {
		t.Fatalf("reps with --slog-dir: %v %+v", err, tg)
	}
	// With the data dirs named, the reps dir still stands for its data root.
	tg, err = Resolve(nil, reps, Options{Server: Flags("", reps)})
	if err != nil || tg.Root.Path != root || tg.Root.SlogDir != slog || len(tg.Logs) != 3 {
		t.Fatalf("reps with --data-dirs: %v %+v", err, tg)
	}

	_, err = Resolve(nil, empty, Options{})
	if err == nil || !strings.Contains(err.Error(), empty+": no log file, log dir, replica dir or data root here (no "+empty+"/replica/slog, no replicas under "+empty+"/replica/reps)") {
		t.Errorf("empty dir: %v", err)
	}
	if _, err := Resolve(nil, filepath.Join(root, "nope"), Options{}); !os.IsNotExist(err) {
		t.Errorf("missing: %v", err)
	}
	f := filepath.Join(empty, "notes.txt")
	os.WriteFile(f, nil, 0o644)
	if _, err := Resolve(nil, f, Options{}); err == nil || !strings.Contains(err.Error(), "not a log file name") {
		t.Errorf("bad file name: %v", err)
	}
	// An empty plog dir is not a log dir, nor a root.
	if _, err := Resolve(nil, filepath.Join(reps, "1.5.pegasus", "plog"), Options{}); err == nil {
		t.Error("empty plog dir resolved")
	}
}
