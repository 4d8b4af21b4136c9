package journal

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/waltool/waltool/vfs"
)

// tempRoot is a fresh root, on tmpfs when there is one (the crash tests
// fsync a lot).
func tempRoot(t testing.TB) string {
	t.Helper()
	base := ""
	if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
		base = "/dev/shm"
	}
	dir, err := os.MkdirTemp(base, "journal-test-")
	if err != nil {
		return t.TempDir()
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// snapshot is the tree under root, the journal's dir aside: every dir,
// and every file with its size and SHA-256.
func snapshot(t testing.TB, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == DirName {
			return filepath.SkipDir
		}
		if d.IsDir() {
			m[rel] = "dir"
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		s := sha256.Sum256(b)
		m[rel] = fmt.Sprintf("%d %s", len(b), hex.EncodeToString(s[:8]))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameTree(t testing.TB, what string, got, want map[string]string) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("%s: tree differs (-want +got):\n%s", what, d)
	}
}

// content is deterministic file content.
func content(seed string, n int) []byte {
	b := make([]byte, 0, n+32)
	for i := 0; len(b) < n; i++ {
		s := sha256.Sum256([]byte(fmt.Sprintf("%s-%d", seed, i)))
		b = append(b, s[:]...)
	}
	return b[:n]
}

func writeFile(t testing.TB, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// The scripted run: a tree of two dirs on one filesystem (d1, d2) and one
// on another (xfs), several multi-KB Creates in two dirs, Mkdirs, and Moves
// within and across filesystems.

func setupTree(t testing.TB, root string) {
	t.Helper()
	writeFile(t, filepath.Join(root, "d1", "old1"), content("old1", 7000))
	writeFile(t, filepath.Join(root, "d1", "old3"), content("old3", 9000))
	writeFile(t, filepath.Join(root, "d1", "keep"), content("keep", 100))
	writeFile(t, filepath.Join(root, "d2", "old2"), content("old2", 11000))
	writeFile(t, filepath.Join(root, "xfs", "x1"), content("x1", 6000))
	// Two replica dirs, to move within and across filesystems.
	writeFile(t, filepath.Join(root, "d1", "1.4.pegasus", ".init-info"), content("ii", 200))
	writeFile(t, filepath.Join(root, "d1", "1.4.pegasus", "plog", "log.1.0"), content("p14", 5000))
	writeFile(t, filepath.Join(root, "d1", "1.4.pegasus", "data", "rdb", "000007.sst"), content("sst14", 9000))
	writeFile(t, filepath.Join(root, "d2", "2.1.pegasus", ".app-info"), content("ai", 150))
	writeFile(t, filepath.Join(root, "d2", "2.1.pegasus", "plog", "log.1.0"), content("p21", 7000))
	writeFile(t, filepath.Join(root, "d2", "2.1.pegasus", "data", "rdb", "000003.sst"), content("sst21", 4000))
	if err := os.MkdirAll(filepath.Join(root, "d2", "2.1.pegasus", "data", "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// loadableTwice names a replica dir present under its loadable name in
// more than one of the script's dirs (the server would see two copies).
func loadableTwice(root string) string {
	seen := map[string]string{}
	for _, d := range []string{"d1", "d2", "xfs"} {
		ents, _ := os.ReadDir(filepath.Join(root, d))
		for _, e := range ents {
			if e.IsDir() && strings.HasSuffix(e.Name(), ".pegasus") {
				if prev, ok := seen[e.Name()]; ok {
					return e.Name() + " in " + prev + " and " + d
				}
				seen[e.Name()] = d
			}
		}
	}
	return ""
}

func scriptFS(base vfs.FS, root string) vfs.FS {
	return vfs.CrossDevice(base, filepath.Join(root, "xfs"))
}

func writeChunks(b []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		for len(b) > 0 {
			n := min(len(b), 3000)
			if _, err := w.Write(b[:n]); err != nil {
				return err
			}
			b = b[n:]
		}
		return nil
	}
}

func script(s *Journal, root string) error {
	p := func(parts ...string) string { return filepath.Join(append([]string{root}, parts...)...) }
	steps := []func() error{
		func() error { return s.Mkdir(p("d1", "new")) },
		func() error { return s.Create(p("d1", "new", "a"), writeChunks(content("a", 8000))) },
		func() error { return s.Create(p("d2", "b"), writeChunks(content("b", 12000))) },
		func() error { return s.Create(p("d1", "c"), writeChunks(content("c", 5000))) },
		func() error { return s.Phase("fold") },
		func() error { return s.Mkdir(p("xfs", "archive")) },
		func() error { return s.Move(p("d1", "old1"), p("d2", "old1")) },
		func() error { return s.Move(p("d2", "old2"), p("xfs", "archive", "old2")) },
		func() error { return s.Move(p("d1", "old3"), p("xfs", "archive", "old3")) },
		func() error { return s.Move(p("xfs", "x1"), p("d1", "new", "x1")) },
		func() error { return s.Phase("archive") },
		// A file created in a replica dir, then the dir moved within the
		// filesystem (a rename) and another across (a copy).
		func() error {
			return s.Create(p("d1", "1.4.pegasus", "plog", "log.2.5000"), writeChunks(content("fold14", 3000)))
		},
		func() error { return s.MoveDir(p("d1", "1.4.pegasus"), p("d2", "1.4.pegasus")) },
		func() error { return s.MoveDir(p("d2", "2.1.pegasus"), p("xfs", "2.1.pegasus")) },
		func() error { return s.Phase("rebalance") },
	}
	for _, f := range steps {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

// runScript begins a run (or resumes the one there) and carries the
// script out to Finish.
func runScript(fsys vfs.FS, root string) error {
	j, err := Open(fsys, root)
	if errors.Is(err, ErrNoRun) {
		j, err = Begin(fsys, root, Run{Command: "migrate upgrade", Args: []string{root}, Meta: []byte(`{"plan":1}`)})
	}
	if err != nil {
		return err
	}
	defer j.Close()
	if err := script(j, root); err != nil {
		return err
	}
	return j.Finish()
}

// rollbackRoot rolls back whatever run is in root (none is fine).
func rollbackRoot(fsys vfs.FS, root string) (*Report, error) {
	j, err := Open(fsys, root)
	if errors.Is(err, ErrNoRun) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer j.Close()
	return j.Rollback()
}

// trees are the initial and final trees of the script.
func trees(t testing.TB) (initial, final map[string]string) {
	t.Helper()
	root := tempRoot(t)
	setupTree(t, root)
	initial = snapshot(t, root)
	if err := runScript(scriptFS(vfs.OS, root), root); err != nil {
		t.Fatal(err)
	}
	final = snapshot(t, root)
	return initial, final
}
