package vfs

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// overlayBase makes a small data root: two slog files, a plog file, a
// replica's .init-info, an empty directory and a dangling symlink.
func overlayBase(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for p, data := range map[string]string{
		"slog/log.1.0":                     "slog-one",
		"slog/log.2.100":                   "slog-two!",
		"replica/1.0.pegasus/plog/log.1.0": "plog",
		"replica/1.0.pegasus/.init-info":   "init-info-old",
	} {
		p = filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(dir, "slog", "dangling")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// hashTree hashes every name, type, mode, mtime, link target and content
// under dir: any change to the tree changes it.
func hashTree(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s %v %d %d\n", p, info.Mode(), info.Size(), info.ModTime().UnixNano())
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "-> %s\n", target)
		case info.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func names(ents []fs.DirEntry) []string {
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func createFile(t *testing.T, o FS, name, data string) {
	t.Helper()
	f, err := o.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func readAll(t *testing.T, o FS, name string) string {
	t.Helper()
	f, err := o.OpenReadOnly(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestOverlayReadsThroughToBase(t *testing.T) {
	dir := overlayBase(t)
	o := Overlay(OS)
	if got := readAll(t, o, filepath.Join(dir, "slog", "log.2.100")); got != "slog-two!" {
		t.Fatalf("read %q", got)
	}
	st, err := o.Stat(filepath.Join(dir, "slog", "log.1.0"))
	if err != nil || st.Size() != 8 || !st.Mode().IsRegular() {
		t.Fatalf("stat %v, %v", st, err)
	}
	got, err := o.ReadDir(filepath.Join(dir, "slog"))
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadDir(filepath.Join(dir, "slog"))
	if !reflect.DeepEqual(names(got), names(want)) {
		t.Fatalf("readdir %v, want %v", names(got), names(want))
	}
	if _, err := o.OpenReadOnly(filepath.Join(dir, "slog")); !errors.Is(err, ErrNotRegular) {
		t.Fatalf("open a base dir: %v", err)
	}
	if _, err := o.OpenReadOnly(filepath.Join(dir, "slog", "log.9.0")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("open a missing file: %v", err)
	}
	if s := o.String(); !strings.Contains(s, "overlay") {
		t.Fatalf("String() = %q", s)
	}
}

func TestOverlayCreateAndReadBack(t *testing.T) {
	dir := overlayBase(t)
	o := Overlay(OS)
	p := filepath.Join(dir, "slog", "log.3.200")
	w, err := o.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"0123", "456789", "abcdef"} {
		if n, err := w.Write([]byte(s)); err != nil || n != len(s) {
			t.Fatalf("write %d, %v", n, err)
		}
	}
	if err := w.Sync(); err != nil {
		t.Fatal(err)
	}
	if w.Name() != p {
		t.Fatalf("Name() = %q", w.Name())
	}
	if _, err := w.ReadAt(make([]byte, 1), 0); err == nil {
		t.Fatal("ReadAt of a writer succeeded")
	}
	const data = "0123456789abcdef"
	if got := readAll(t, o, p); got != data {
		t.Fatalf("read back %q", got)
	}
	if got := o.Written(); !reflect.DeepEqual(got, []string{p}) {
		t.Fatalf("Written() = %v", got)
	}
	r, err := o.OpenReadOnly(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	st, err := r.Stat()
	if err != nil || st.Size() != int64(len(data)) || !st.Mode().IsRegular() || st.Name() != "log.3.200" {
		t.Fatalf("stat %v, %v", st, err)
	}
	if _, err := r.Write([]byte("x")); err == nil {
		t.Fatal("Write to a reader succeeded")
	}
	if err := r.Truncate(0); err == nil {
		t.Fatal("Truncate of a reader succeeded")
	}
	for _, c := range []struct {
		off     int64
		size    int
		want    string
		wantEOF bool
	}{
		{0, 4, "0123", false},
		{10, 6, "abcdef", false},
		{14, 4, "ef", true},
		{16, 4, "", true},
		{100, 4, "", true},
	} {
		buf := make([]byte, c.size)
		n, err := r.ReadAt(buf, c.off)
		if string(buf[:n]) != c.want || (err == io.EOF) != c.wantEOF || (err != nil && err != io.EOF) {
			t.Errorf("ReadAt(%d bytes, %d) = %q, %v; want %q, EOF %v", c.size, c.off, buf[:n], err, c.want, c.wantEOF)
		}
	}
	if _, err := r.ReadAt(make([]byte, 1), -1); err == nil {
		t.Error("ReadAt at a negative offset succeeded")
	}
	// What format's readers do: a section of the file through io.ReaderAt.
	b, err := io.ReadAll(io.NewSectionReader(r, 4, 8))
	if err != nil || string(b) != "456789ab" {
		t.Fatalf("section %q, %v", b, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("x")); !errors.Is(err, fs.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the overlay file reached the disk: %v", err)
	}
}

func TestOverlayReadDirMerges(t *testing.T) {
	dir := overlayBase(t)
	slog := filepath.Join(dir, "slog")
	o := Overlay(OS)
	createFile(t, o, filepath.Join(slog, "log.3.300"), "three")
	createFile(t, o, filepath.Join(slog, "a"), "")
	if err := o.Mkdir(filepath.Join(slog, "log.1.5"), 0o755); err != nil {
		t.Fatal(err)
	}
	createFile(t, o, filepath.Join(slog, "log.1.5", "inner"), "not listed in slog")
	ents, err := o.ReadDir(slog)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a", "dangling", "log.1.0", "log.1.5", "log.2.100", "log.3.300"}
	if !reflect.DeepEqual(names(ents), want) {
		t.Fatalf("readdir %v, want %v", names(ents), want)
	}
	sizes := map[string]int64{"a": 0, "log.1.0": 8, "log.2.100": 9, "log.3.300": 5}
	for _, e := range ents {
		info, err := e.Info()
		if e.Name() == "dangling" {
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", e.Name(), err)
		}
		if e.Name() == "log.1.5" {
			if !e.IsDir() || !info.IsDir() || info.Mode().Perm() != 0o755 {
				t.Errorf("%s: dir %v, mode %v", e.Name(), e.IsDir(), info.Mode())
			}
			continue
		}
		if !e.Type().IsRegular() || !info.Mode().IsRegular() || info.Size() != sizes[e.Name()] {
			t.Errorf("%s: mode %v, size %d, want %d", e.Name(), info.Mode(), info.Size(), sizes[e.Name()])
		}
	}
	inner, err := o.ReadDir(filepath.Join(slog, "log.1.5"))
	if err != nil || !reflect.DeepEqual(names(inner), []string{"inner"}) {
		t.Fatalf("readdir of an overlay dir: %v, %v", names(inner), err)
	}
	if _, err := o.ReadDir(filepath.Join(slog, "a")); !errors.Is(err, syscall.ENOTDIR) {
		t.Fatalf("readdir of an overlay file: %v", err)
	}
}

func TestOverlayCreateIsExclusive(t *testing.T) {
	dir := overlayBase(t)
	o := Overlay(OS)
	createFile(t, o, filepath.Join(dir, "mine"), "x")
	if err := o.Mkdir(filepath.Join(dir, "mydir"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		path     string
		want     error
		readOnly bool
	}{
		{"base file", "slog/log.1.0", fs.ErrExist, true},
		{"base dir", "slog", fs.ErrExist, true},
		{"dangling base symlink", "slog/dangling", fs.ErrExist, true},
		{"overlay file", "mine", fs.ErrExist, false},
		{"overlay dir", "mydir", fs.ErrExist, false},
		{"missing parent", "nodir/x", fs.ErrNotExist, false},
		{"parent is an overlay file", "mine/x", syscall.ENOTDIR, false},
	} {
		p := filepath.Join(dir, c.path)
		_, err := o.Create(p)
		merr := o.Mkdir(p, 0o755)
		for op, err := range map[string]error{"create": err, "mkdir": merr} {
			var pe *fs.PathError
			if !errors.Is(err, c.want) || errors.Is(err, ErrReadOnly) != c.readOnly || !errors.As(err, &pe) || pe.Path != p {
				t.Errorf("%s over %s: %v, want %v (read-only %v) naming %s", op, c.name, err, c.want, c.readOnly, p)
			}
		}
	}
	if got := o.Written(); len(got) != 1 {
		t.Fatalf("Written() = %v", got)
	}
}

// unchanged fails t, when it ends, if the tree under dir is no longer
// byte-identical to what it is now.
func unchanged(t *testing.T, dir string) {
	t.Helper()
	before := hashTree(t, dir)
	t.Cleanup(func() {
		if hashTree(t, dir) != before {
			t.Error("the base changed")
		}
	})
}

// What cannot be done in memory is refused with ErrReadOnly; the rest
// happens in memory, and the base never changes.
func TestOverlayNeverModifiesBase(t *testing.T) {
	dir := overlayBase(t)
	base := func(p string) string { return filepath.Join(dir, p) }
	if err := syscall.Mkfifo(base("fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	unchanged(t, dir)
	o := Overlay(OS)
	createFile(t, o, base("slog/log.3.0"), "new")
	_, createErr := o.Create(base("slog/log.1.0"))
	for _, c := range []struct {
		name string
		err  error
	}{
		{"rename a base dir", o.Rename(base("slog"), base("slog.bak"))},
		{"rename a dangling base symlink", o.Rename(base("slog/dangling"), base("slog/d2"))},
		{"rename a base FIFO", o.Rename(base("fifo"), base("fifo2"))},
		{"truncate a dangling base symlink", o.Truncate(base("slog/dangling"), 0)},
		{"truncate a base FIFO", o.Truncate(base("fifo"), 0)},
		{"create over a base file", createErr},
		{"mkdir over a base dir", o.Mkdir(base("empty"), 0o755)},
	} {
		var pe *fs.PathError
		if !errors.Is(c.err, ErrReadOnly) || !errors.As(c.err, &pe) || !strings.HasPrefix(pe.Path, dir) {
			t.Errorf("%s: %v, want a *fs.PathError wrapping ErrReadOnly", c.name, c.err)
		}
	}
	if got := o.Hidden(); len(got) != 0 {
		t.Fatalf("refusals hid %v", got)
	}
	// Work in memory, of every kind.
	if err := o.MkdirAll(base("replica/2.0.pegasus/plog"), 0o755); err != nil {
		t.Fatal(err)
	}
	createFile(t, o, base("replica/2.0.pegasus/plog/log.1.0"), "plog")
	if err := o.Rename(base("slog/log.3.0"), base("slog/log.3.5")); err != nil {
		t.Fatal(err)
	}
	if err := o.Truncate(base("slog/log.3.5"), 2); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{base("slog"), base("replica/2.0.pegasus/plog")} {
		if err := o.SyncDir(d); err != nil {
			t.Fatal(err)
		}
		h, err := o.OpenDir(d)
		if err != nil {
			t.Fatal(err)
		}
		if err := errors.Join(h.Sync(), h.SyncFS(), h.Close()); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.Remove(base("replica/2.0.pegasus/plog/log.1.0")); err != nil {
		t.Fatal(err)
	}
	if got, want := o.Written(), []string{base("slog/log.3.5")}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Written() = %v, want %v", got, want)
	}
}

// Every copy-on-write operation, one after another: after each the base is
// byte-identical, and reads through the overlay see the new state.
func TestOverlayCopyOnWriteNeverModifiesBase(t *testing.T) {
	dir := overlayBase(t)
	base := func(p string) string { return filepath.Join(dir, p) }
	before := hashTree(t, dir)
	o := Overlay(OS)
	absent := func(p string) error {
		if _, err := o.Stat(base(p)); !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("stat %s: %v", p, err)
		}
		if _, err := o.OpenReadOnly(base(p)); !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("open %s: %v", p, err)
		}
		ents, err := o.ReadDir(filepath.Dir(base(p)))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		for _, e := range ents {
			if e.Name() == filepath.Base(p) {
				return fmt.Errorf("%s listed", p)
			}
		}
		return nil
	}
	holds := func(p, want string) error {
		f, err := o.OpenReadOnly(base(p))
		if err != nil {
			return err
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		if err != nil {
			return err
		}
		if string(b) != want {
			return fmt.Errorf("%s holds %q, want %q", p, b, want)
		}
		if st, err := o.Stat(base(p)); err != nil || st.Size() != int64(len(want)) {
			return fmt.Errorf("stat %s: %v, %v", p, st, err)
		}
		ents, err := o.ReadDir(filepath.Dir(base(p)))
		if err != nil {
			return err
		}
		n := 0
		for _, e := range ents {
			if e.Name() == filepath.Base(p) {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("%s listed %d times", p, n)
		}
		return nil
	}
	rp := "replica/1.0.pegasus/"
	for _, step := range []struct {
		name  string
		do    func() error
		check func() error
	}{
		{"rename over a base file", func() error {
			createFile(t, o, base(rp+".init-info.tmp"), "init-info-new")
			return o.Rename(base(rp+".init-info.tmp"), base(rp+".init-info"))
		}, func() error {
			return errors.Join(holds(rp+".init-info", "init-info-new"), absent(rp+".init-info.tmp"))
		}},
		{"rename a base file", func() error {
			return o.Rename(base("slog/log.1.0"), base("slog/log.1.0.removed"))
		}, func() error {
			return errors.Join(holds("slog/log.1.0.removed", "slog-one"), absent("slog/log.1.0"))
		}},
		{"rename no-replace a base file", func() error {
			return RenameNoReplace(o, base(rp+"plog/log.1.0"), base("empty/log.1.0"))
		}, func() error {
			return errors.Join(holds("empty/log.1.0", "plog"), absent(rp+"plog/log.1.0"))
		}},
		{"truncate a base file", func() error {
			return o.Truncate(base("slog/log.2.100"), 4)
		}, func() error { return holds("slog/log.2.100", "slog") }},
		{"remove a base symlink", func() error {
			return o.Remove(base("slog/dangling"))
		}, func() error { return absent("slog/dangling") }},
		{"remove a base dir", func() error {
			return o.Remove(base(rp + "plog"))
		}, func() error { return absent(rp + "plog") }},
		{"remove a copied-up file", func() error {
			return o.Remove(base("slog/log.2.100"))
		}, func() error { return absent("slog/log.2.100") }},
		{"create over a removed base name", func() error {
			createFile(t, o, base("slog/log.2.100"), "again")
			return nil
		}, func() error { return holds("slog/log.2.100", "again") }},
	} {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if hashTree(t, dir) != before {
			t.Fatalf("%s changed the base", step.name)
		}
		if err := step.check(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
	}
	wantHidden := []string{base(rp + ".init-info"), base(rp + "plog"), base("slog/dangling"), base("slog/log.1.0"), base("slog/log.2.100")}
	if got := o.Hidden(); !reflect.DeepEqual(got, wantHidden) {
		t.Errorf("Hidden() = %v, want %v", got, wantHidden)
	}
	wantWritten := []string{base("empty/log.1.0"), base(rp + ".init-info"), base("slog/log.1.0.removed"), base("slog/log.2.100")}
	if got := o.Written(); !reflect.DeepEqual(got, wantWritten) {
		t.Errorf("Written() = %v, want %v", got, wantWritten)
	}
	// The base itself still holds what it held.
	for p, want := range map[string]string{rp + ".init-info": "init-info-old", "slog/log.1.0": "slog-one", "slog/log.2.100": "slog-two!", rp + "plog/log.1.0": "plog"} {
		if b, err := os.ReadFile(base(p)); err != nil || string(b) != want {
			t.Errorf("base %s: %q, %v", p, b, err)
		}
	}
}

func TestOverlayMkdirThenCreate(t *testing.T) {
	dir := overlayBase(t)
	o := Overlay(OS)
	plog := filepath.Join(dir, "replica", "3.1.pegasus", "plog")
	if err := o.Mkdir(plog, 0o755); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("mkdir without its parent: %v", err)
	}
	if err := o.MkdirAll(plog, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := o.MkdirAll(plog, 0o755); err != nil {
		t.Fatalf("MkdirAll again: %v", err)
	}
	if st, err := o.Stat(plog); err != nil || !st.IsDir() {
		t.Fatalf("stat %v, %v", st, err)
	}
	if ents, err := o.ReadDir(filepath.Join(dir, "replica")); err != nil || !reflect.DeepEqual(names(ents), []string{"1.0.pegasus", "3.1.pegasus"}) {
		t.Fatalf("readdir %v, %v", names(ents), err)
	}
	p := filepath.Join(plog, "log.1.0")
	createFile(t, o, p, "hello")
	if got := readAll(t, o, p); got != "hello" {
		t.Fatalf("read %q", got)
	}
	if _, err := o.OpenReadOnly(plog); !errors.Is(err, ErrNotRegular) {
		t.Fatalf("open an overlay dir: %v", err)
	}
	if err := o.MkdirAll(filepath.Join(p, "sub"), 0o755); !errors.Is(err, syscall.ENOTDIR) {
		t.Fatalf("MkdirAll through a file: %v", err)
	}
	if _, err := o.OpenDir(p); !errors.Is(err, syscall.ENOTDIR) {
		t.Fatalf("OpenDir of a file: %v", err)
	}
	replica := filepath.Dir(plog)
	if err := o.Remove(replica); !errors.Is(err, syscall.ENOTEMPTY) {
		t.Fatalf("remove a non-empty dir: %v", err)
	}
	// A directory renamed carries what is in it.
	moved := filepath.Join(dir, "replica", "3.2.pegasus")
	if err := o.Rename(replica, moved); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, o, filepath.Join(moved, "plog", "log.1.0")); got != "hello" {
		t.Fatalf("read after the dir rename %q", got)
	}
	if err := o.Rename(moved, filepath.Join(moved, "plog", "x")); err == nil {
		t.Fatal("renamed a dir into itself")
	}
	for _, p := range []string{filepath.Join(moved, "plog", "log.1.0"), filepath.Join(moved, "plog"), moved} {
		if err := o.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := o.Stat(moved); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("stat a removed dir: %v", err)
	}
	if got := o.Written(); len(got) != 0 {
		t.Fatalf("Written() = %v", got)
	}
}

func TestOverlayRename(t *testing.T) {
	dir := overlayBase(t)
	o := Overlay(OS)
	a, b, c := filepath.Join(dir, "slog", "a"), filepath.Join(dir, "slog", "b"), filepath.Join(dir, "empty", "c")
	w, err := o.Create(a)
	if err != nil {
		t.Fatal(err)
	}
	createFile(t, o, b, "bbb")
	if err := RenameNoReplace(o, a, b); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("rename no-replace over a file: %v", err)
	}
	if err := o.Rename(a, b); err != nil {
		t.Fatal(err)
	}
	// The open writer follows its file to the new name.
	if _, err := w.Write([]byte("aa")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, o, b); got != "aa" {
		t.Fatalf("read %q", got)
	}
	if err := RenameNoReplace(o, b, c); err != nil {
		t.Fatal(err)
	}
	if err := o.Rename(a, b); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("rename a missing file: %v", err)
	}
	if err := o.Rename(c, filepath.Join(dir, "nodir", "c")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("rename into a missing dir: %v", err)
	}
	if got, want := o.Written(), []string{c}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Written() = %v, want %v", got, want)
	}
}

func TestOverlayTruncate(t *testing.T) {
	dir := overlayBase(t)
	o := Overlay(OS)
	p := filepath.Join(dir, "slog", "log.3.0")
	w, err := o.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if _, err := w.Write([]byte("good-batch|torn")); err != nil {
		t.Fatal(err)
	}
	// A writer cuts off the batch whose write failed half-way...
	if err := w.Truncate(10); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, o, p); got != "good-batch" {
		t.Fatalf("after File.Truncate %q", got)
	}
	// ...and appends after it.
	if _, err := w.Write([]byte("|next")); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, o, p); got != "good-batch|next" {
		t.Fatalf("after the append %q", got)
	}
	// FS.Truncate extends with zeros, and cuts.
	if err := o.Truncate(p, 17); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, o, p); got != "good-batch|next\x00\x00" {
		t.Fatalf("after extending %q", got)
	}
	if err := o.Truncate(p, 4); err != nil {
		t.Fatal(err)
	}
	if st, err := o.Stat(p); err != nil || st.Size() != 4 {
		t.Fatalf("stat %v, %v", st, err)
	}
	if err := o.Truncate(p, -1); err == nil {
		t.Fatal("negative truncate succeeded")
	}
	if err := o.Truncate(filepath.Join(dir, "slog", "missing"), 0); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("truncate a missing file: %v", err)
	}
}

func TestOverlayMemoryLimit(t *testing.T) {
	dir := overlayBase(t)
	o := Overlay(OS)
	o.Limit = 100
	p, q := filepath.Join(dir, "slog", "log.3.0"), filepath.Join(dir, "slog", "log.4.0")
	w, err := o.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, 60)); err != nil {
		t.Fatal(err)
	}
	n, err := w.Write(make([]byte, 50))
	var pe *fs.PathError
	if n != 0 || !errors.Is(err, ErrOverlayFull) || !errors.As(err, &pe) || pe.Path != p || !strings.Contains(err.Error(), p) {
		t.Fatalf("write past the limit: %d, %v", n, err)
	}
	if err := o.Truncate(p, 101); !errors.Is(err, ErrOverlayFull) {
		t.Fatalf("truncate past the limit: %v", err)
	}
	if st, _ := o.Stat(p); st.Size() != 60 {
		t.Fatalf("size %d after refused writes", st.Size())
	}
	// Another file shares the bound.
	w2, err := o.Create(q)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w2.Write(make([]byte, 41)); !errors.Is(err, ErrOverlayFull) {
		t.Fatalf("second file past the limit: %v", err)
	}
	if _, err := w2.Write(make([]byte, 40)); err != nil {
		t.Fatal(err)
	}
	// A removed file still open holds its bytes until closed.
	if err := o.Remove(p); err != nil {
		t.Fatal(err)
	}
	if _, err := w2.Write([]byte("x")); !errors.Is(err, ErrOverlayFull) {
		t.Fatalf("write while a removed file is open: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w2.Write(make([]byte, 60)); err != nil {
		t.Fatalf("write after the removed file closed: %v", err)
	}
	// Truncating gives bytes back.
	if err := w2.Truncate(0); err != nil {
		t.Fatal(err)
	}
	if _, err := w2.Write(make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	w2.Close()
	// The default bound.
	if got := Overlay(OS).limit(); got != DefaultOverlayLimit {
		t.Fatalf("default limit %d", got)
	}
}

// An open writer and readers of one overlay file, at once: run with -race.
func TestOverlayConcurrentWriteAndReadAt(t *testing.T) {
	dir := overlayBase(t)
	o := Overlay(OS)
	p := filepath.Join(dir, "slog", "log.3.0")
	w, err := o.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	const chunk, chunks = 64, 500
	pattern := func(off int) byte { return byte(off % 251) }
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, chunk)
		for i := range chunks {
			for j := range buf {
				buf[j] = pattern(i*chunk + j)
			}
			if _, err := w.Write(buf); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := o.OpenReadOnly(p)
			if err != nil {
				errs <- err
				return
			}
			defer r.Close()
			buf := make([]byte, 3*chunk)
			for off := 0; off < chunk*chunks; {
				n, err := r.ReadAt(buf, int64(off))
				if err != nil && err != io.EOF {
					errs <- err
					return
				}
				for j := range n {
					if buf[j] != pattern(off+j) {
						errs <- fmt.Errorf("byte %d is %d, want %d", off+j, buf[j], pattern(off+j))
						return
					}
				}
				off += n
				if _, err := r.Stat(); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := make([]byte, chunk*chunks)
	for i := range want {
		want[i] = pattern(i)
	}
	if got := readAll(t, o, p); !bytes.Equal([]byte(got), want) {
		t.Fatal("content differs")
	}
}

// checkPathErr fails unless err matches want and is a *fs.PathError naming
// path.
func checkPathErr(t *testing.T, what string, err, want error, path string) {
	t.Helper()
	var pe *fs.PathError
	if !errors.Is(err, want) || !errors.As(err, &pe) || pe.Path != path {
		t.Errorf("%s: %v, want %v naming %s", what, err, want, path)
	}
}

// The .init-info pattern: a new version is written to a temporary name and
// renamed over the base file.
func TestOverlayRenameOverBase(t *testing.T) {
	dir := overlayBase(t)
	unchanged(t, dir)
	o := Overlay(OS)
	replica := filepath.Join(dir, "replica", "1.0.pegasus")
	info, tmp := filepath.Join(replica, ".init-info"), filepath.Join(replica, ".init-info.tmp")
	early, err := o.OpenReadOnly(info)
	if err != nil {
		t.Fatal(err)
	}
	defer early.Close()
	for _, content := range []string{"init-info-new", "init-info-newer"} {
		createFile(t, o, tmp, content)
		if err := o.Rename(tmp, info); err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, o, info); got != content {
			t.Fatalf("read back %q, want %q", got, content)
		}
		if st, err := o.Stat(info); err != nil || st.Size() != int64(len(content)) {
			t.Fatalf("stat %v, %v", st, err)
		}
		if _, err := o.Stat(tmp); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("stat the temporary: %v", err)
		}
		ents, err := o.ReadDir(replica)
		if err != nil || !reflect.DeepEqual(names(ents), []string{".init-info", "plog"}) {
			t.Fatalf("readdir %v, %v", names(ents), err)
		}
		if got := o.Hidden(); !reflect.DeepEqual(got, []string{info}) {
			t.Fatalf("Hidden() = %v", got)
		}
		if got := o.Written(); !reflect.DeepEqual(got, []string{info}) {
			t.Fatalf("Written() = %v", got)
		}
	}
	// A handle opened before keeps reading the base, as a POSIX fd would.
	if b, err := io.ReadAll(early); err != nil || string(b) != "init-info-old" {
		t.Fatalf("early handle read %q, %v", b, err)
	}
	if _, err := o.Create(info); !errors.Is(err, fs.ErrExist) || errors.Is(err, ErrReadOnly) {
		t.Fatalf("create over the replaced name: %v", err)
	}
	// Replacing a base file with a directory, or a base directory with a
	// file, fails as rename(2) does.
	if err := o.Mkdir(filepath.Join(dir, "newdir"), 0o755); err != nil {
		t.Fatal(err)
	}
	createFile(t, o, filepath.Join(dir, "f"), "f")
	for _, c := range []struct {
		from, to string
		want     error
	}{
		{"newdir", "slog/log.1.0", syscall.ENOTDIR},
		{"f", "empty", syscall.EISDIR},
		{"newdir", "slog", syscall.ENOTEMPTY},
	} {
		if err := o.Rename(filepath.Join(dir, c.from), filepath.Join(dir, c.to)); !errors.Is(err, c.want) {
			t.Errorf("rename %s over %s: %v, want %v", c.from, c.to, err, c.want)
		}
	}
	if got := o.Hidden(); len(got) != 1 {
		t.Fatalf("failed renames hid %v", got)
	}
}

// A base file renamed is copied up to its new name, within the limit.
func TestOverlayRenameBaseFile(t *testing.T) {
	dir := overlayBase(t)
	unchanged(t, dir)
	slog := filepath.Join(dir, "slog")
	one, removed, two := filepath.Join(slog, "log.1.0"), filepath.Join(slog, "log.1.0.removed"), filepath.Join(slog, "log.2.100")
	baseInfo, err := os.Stat(one)
	if err != nil {
		t.Fatal(err)
	}
	o := Overlay(OS)
	o.Limit = 10
	early, err := o.OpenReadOnly(one)
	if err != nil {
		t.Fatal(err)
	}
	defer early.Close()
	if err := o.Rename(one, one); err != nil {
		t.Fatalf("rename onto itself: %v", err)
	}
	if err := o.Rename(one, removed); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Stat(one); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("stat the old name: %v", err)
	}
	if _, err := o.OpenReadOnly(one); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("open the old name: %v", err)
	}
	if err := o.Rename(one, removed); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("rename the old name again: %v", err)
	}
	ents, err := o.ReadDir(slog)
	if err != nil || !reflect.DeepEqual(names(ents), []string{"dangling", "log.1.0.removed", "log.2.100"}) {
		t.Fatalf("readdir %v, %v", names(ents), err)
	}
	if got := readAll(t, o, removed); got != "slog-one" {
		t.Fatalf("read the copy %q", got)
	}
	st, err := o.Stat(removed)
	if err != nil || st.Size() != 8 || st.Mode() != baseInfo.Mode() || !st.ModTime().Equal(baseInfo.ModTime()) {
		t.Fatalf("stat the copy %v, %v; base mode %v mtime %v", st, err, baseInfo.Mode(), baseInfo.ModTime())
	}
	if b, err := io.ReadAll(early); err != nil || string(b) != "slog-one" {
		t.Fatalf("early handle read %q, %v", b, err)
	}
	if got, want := o.Written(), []string{removed}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Written() = %v", got)
	}
	if got, want := o.Hidden(), []string{one}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Hidden() = %v", got)
	}
	// The copy's 8 bytes count against the limit of 10.
	w, err := o.Create(filepath.Join(slog, "log.3.0"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("abc")); !errors.Is(err, ErrOverlayFull) {
		t.Fatalf("write past the limit after a copy-up: %v", err)
	}
	w.Close()
	// A 9-byte file does not fit: refused naming it, and nothing changes.
	err = o.Rename(two, two+".removed")
	checkPathErr(t, "copy-up past the limit", err, ErrOverlayFull, two)
	if !strings.Contains(fmt.Sprint(err), two) {
		t.Errorf("%v does not name %s", err, two)
	}
	if got := readAll(t, o, two); got != "slog-two!" {
		t.Fatalf("after the refused copy-up %q", got)
	}
	if _, err := o.Stat(two + ".removed"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("the refused copy-up made its target: %v", err)
	}
	if len(o.Hidden()) != 1 || o.held != 8 {
		t.Fatalf("the refused copy-up left Hidden() = %v, %d bytes held", o.Hidden(), o.held)
	}
	// Removing the copy gives its bytes back; renaming it back is in
	// memory.
	if err := o.Rename(removed, one); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, o, one); got != "slog-one" {
		t.Fatalf("renamed back %q", got)
	}
	if err := o.Remove(one); err != nil {
		t.Fatal(err)
	}
	if err := o.Rename(two, filepath.Join(dir, "empty", "log.2.100")); err != nil {
		t.Fatalf("copy-up after the bytes came back: %v", err)
	}
	if got := readAll(t, o, filepath.Join(dir, "empty", "log.2.100")); got != "slog-two!" {
		t.Fatalf("copied into another dir %q", got)
	}
	if got, want := o.Hidden(), []string{one, two}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Hidden() = %v, want %v", got, want)
	}
}

func TestOverlayRemoveBase(t *testing.T) {
	dir := overlayBase(t)
	unchanged(t, dir)
	o := Overlay(OS)
	base := func(p string) string { return filepath.Join(dir, p) }
	early, err := o.OpenReadOnly(base("slog/log.1.0"))
	if err != nil {
		t.Fatal(err)
	}
	defer early.Close()
	if err := o.Remove(base("slog/log.1.0")); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Stat(base("slog/log.1.0")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("stat a removed base file: %v", err)
	}
	if _, err := o.OpenReadOnly(base("slog/log.1.0")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("open a removed base file: %v", err)
	}
	if err := o.Remove(base("slog/log.1.0")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("remove it again: %v", err)
	}
	if err := o.Truncate(base("slog/log.1.0"), 0); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("truncate it: %v", err)
	}
	if b, err := io.ReadAll(early); err != nil || string(b) != "slog-one" {
		t.Fatalf("early handle read %q, %v", b, err)
	}
	if ents, err := o.ReadDir(base("slog")); err != nil || !reflect.DeepEqual(names(ents), []string{"dangling", "log.2.100"}) {
		t.Fatalf("readdir %v, %v", names(ents), err)
	}
	// An empty base dir goes; a non-empty one stays, whether what is in
	// it is in the base or in memory.
	if err := o.Remove(base("empty")); err != nil {
		t.Fatal(err)
	}
	if _, err := o.ReadDir(base("empty")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("readdir a removed dir: %v", err)
	}
	if ents, err := o.ReadDir(dir); err != nil || !reflect.DeepEqual(names(ents), []string{"replica", "slog"}) {
		t.Fatalf("readdir the root %v, %v", names(ents), err)
	}
	if err := o.Remove(base("slog")); !errors.Is(err, syscall.ENOTEMPTY) {
		t.Fatalf("remove a non-empty base dir: %v", err)
	}
	plog := base("replica/1.0.pegasus/plog")
	if err := o.Remove(filepath.Join(plog, "log.1.0")); err != nil {
		t.Fatal(err)
	}
	createFile(t, o, filepath.Join(plog, "log.2.0"), "mine")
	if err := o.Remove(plog); !errors.Is(err, syscall.ENOTEMPTY) {
		t.Fatalf("remove a base dir holding a memory file: %v", err)
	}
	if err := o.Remove(filepath.Join(plog, "log.2.0")); err != nil {
		t.Fatal(err)
	}
	if err := o.Remove(plog); err != nil {
		t.Fatalf("remove a base dir all of whose entries are removed: %v", err)
	}
	if err := o.Remove(dir); !errors.Is(err, syscall.ENOTEMPTY) {
		t.Fatalf("remove the root: %v", err)
	}
	if err := o.Remove("/"); err == nil {
		t.Fatal("removed /")
	}
	want := []string{base("empty"), plog, base("slog/log.1.0")}
	if got := o.Hidden(); !reflect.DeepEqual(got, want) {
		t.Fatalf("Hidden() = %v, want %v", got, want)
	}
	if got := o.Written(); len(got) != 0 {
		t.Fatalf("Written() = %v", got)
	}
}

func TestOverlayTruncateBase(t *testing.T) {
	dir := overlayBase(t)
	unchanged(t, dir)
	o := Overlay(OS)
	o.Limit = 12
	one, two := filepath.Join(dir, "slog", "log.1.0"), filepath.Join(dir, "slog", "log.2.100")
	early, err := o.OpenReadOnly(two)
	if err != nil {
		t.Fatal(err)
	}
	defer early.Close()
	if err := o.Truncate(two, 4); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, o, two); got != "slog" {
		t.Fatalf("after truncate %q", got)
	}
	if b, err := io.ReadAll(early); err != nil || string(b) != "slog-two!" {
		t.Fatalf("early handle read %q, %v", b, err)
	}
	// Only what is kept is copied up and counted.
	if o.held != 4 {
		t.Fatalf("%d bytes held, want 4", o.held)
	}
	// The copy is a memory file: truncate extends it with zeros.
	if err := o.Truncate(two, 6); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, o, two); got != "slog\x00\x00" {
		t.Fatalf("after extending %q", got)
	}
	// Keeping all 8 bytes of the other file would pass the limit: refused,
	// nothing changes; cutting it to 0 needs none.
	checkPathErr(t, "truncate past the limit", o.Truncate(one, 8), ErrOverlayFull, one)
	checkPathErr(t, "extend past the limit", o.Truncate(one, 9), ErrOverlayFull, one)
	// The 4 bytes of plog/log.1.0 fit, extending them by 3 does not.
	plog := filepath.Join(dir, "replica/1.0.pegasus/plog/log.1.0")
	checkPathErr(t, "extend a copy past the limit", o.Truncate(plog, 7), ErrOverlayFull, plog)
	if got := readAll(t, o, one); got != "slog-one" || o.held != 6 || len(o.Hidden()) != 1 {
		t.Fatalf("after refused truncates: %q, %d bytes held, Hidden() = %v", got, o.held, o.Hidden())
	}
	if got := readAll(t, o, plog); got != "plog" {
		t.Fatalf("after a refused truncate: %q", got)
	}
	if err := o.Truncate(one, 0); err != nil {
		t.Fatal(err)
	}
	if st, err := o.Stat(one); err != nil || st.Size() != 0 {
		t.Fatalf("stat %v, %v", st, err)
	}
	checkPathErr(t, "truncate a base dir", o.Truncate(filepath.Join(dir, "slog"), 0), syscall.EISDIR, filepath.Join(dir, "slog"))
	checkPathErr(t, "negative truncate", o.Truncate(filepath.Join(dir, "replica/1.0.pegasus/.init-info"), -1), syscall.EINVAL, filepath.Join(dir, "replica/1.0.pegasus/.init-info"))
	if got, want := o.Hidden(), []string{one, two}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Hidden() = %v", got)
	}
	if got, want := o.Written(), []string{one, two}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Written() = %v", got)
	}
}

func TestOverlayCreateAfterRemove(t *testing.T) {
	dir := overlayBase(t)
	unchanged(t, dir)
	o := Overlay(OS)
	p, empty := filepath.Join(dir, "slog", "log.1.0"), filepath.Join(dir, "empty")
	if _, err := o.Create(p); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("create over a visible base file: %v", err)
	}
	if err := o.Remove(p); err != nil {
		t.Fatal(err)
	}
	createFile(t, o, p, "new")
	if got := readAll(t, o, p); got != "new" {
		t.Fatalf("read %q", got)
	}
	ents, err := o.ReadDir(filepath.Dir(p))
	if err != nil || !reflect.DeepEqual(names(ents), []string{"dangling", "log.1.0", "log.2.100"}) {
		t.Fatalf("readdir %v, %v", names(ents), err)
	}
	// Removing the new file leaves the base file hidden.
	if err := o.Remove(p); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Stat(p); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("stat after removing the new file: %v", err)
	}
	if err := o.Remove(empty); err != nil {
		t.Fatal(err)
	}
	if err := o.Mkdir(empty, 0o700); err != nil {
		t.Fatal(err)
	}
	if st, err := o.Stat(empty); err != nil || !st.IsDir() || st.Mode().Perm() != 0o700 {
		t.Fatalf("stat the new dir %v, %v", st, err)
	}
	if got, want := o.Hidden(), []string{empty, p}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Hidden() = %v", got)
	}
}

func TestOverlayRenameNoReplaceRefuses(t *testing.T) {
	dir := overlayBase(t)
	unchanged(t, dir)
	o := Overlay(OS)
	base := func(p string) string { return filepath.Join(dir, p) }
	createFile(t, o, base("slog/mine"), "mine")
	for _, c := range []struct{ from, to string }{
		{"slog/mine", "slog/log.1.0"},      // memory onto base
		{"slog/log.1.0", "slog/log.2.100"}, // base onto base
		{"slog/log.1.0", "slog/mine"},      // base onto memory
		{"slog/mine", "empty"},             // onto a base dir
		{"slog/mine", "slog/dangling"},     // onto a dangling symlink
		{"slog/log.1.0", "slog/log.1.0"},   // onto itself
		{"replica/1.0.pegasus/.init-info", "slog/mine"},
	} {
		if err := o.RenameNoReplace(base(c.from), base(c.to)); !errors.Is(err, fs.ErrExist) {
			t.Errorf("rename no-replace %s onto %s: %v", c.from, c.to, err)
		}
	}
	if got := o.Hidden(); len(got) != 0 {
		t.Fatalf("refused renames hid %v", got)
	}
	if got := readAll(t, o, base("slog/mine")); got != "mine" {
		t.Fatalf("read %q", got)
	}
	if got := readAll(t, o, base("slog/log.1.0")); got != "slog-one" {
		t.Fatalf("read %q", got)
	}
	// Once a base name is removed, it is free.
	if err := o.Remove(base("slog/log.2.100")); err != nil {
		t.Fatal(err)
	}
	if err := o.RenameNoReplace(base("slog/mine"), base("slog/log.2.100")); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, o, base("slog/log.2.100")); got != "mine" {
		t.Fatalf("read %q", got)
	}
}

// A whited-out directory hides everything of the base under it, even when
// a directory of that name is made again in memory.
func TestOverlayHiddenDirHidesChildren(t *testing.T) {
	dir := overlayBase(t)
	unchanged(t, dir)
	o := Overlay(OS)
	replica := filepath.Join(dir, "replica", "1.0.pegasus")
	plog := filepath.Join(replica, "plog")
	for _, p := range []string{filepath.Join(plog, "log.1.0"), plog, filepath.Join(replica, ".init-info"), replica} {
		if err := o.Remove(p); err != nil {
			t.Fatalf("remove %s: %v", p, err)
		}
	}
	// The whiteouts under the hidden dir are folded into it.
	if got := o.Hidden(); !reflect.DeepEqual(got, []string{replica}) {
		t.Fatalf("Hidden() = %v", got)
	}
	for _, p := range []string{replica, plog, filepath.Join(plog, "log.1.0"), filepath.Join(replica, ".init-info")} {
		if _, err := o.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("stat %s: %v", p, err)
		}
	}
	if _, err := o.OpenReadOnly(filepath.Join(plog, "log.1.0")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("open under a hidden dir: %v", err)
	}
	if _, err := o.ReadDir(plog); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("readdir under a hidden dir: %v", err)
	}
	if _, err := o.Create(filepath.Join(plog, "x")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("create under a hidden dir: %v", err)
	}
	if err := o.SyncDir(plog); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("syncdir under a hidden dir: %v", err)
	}
	if ents, err := o.ReadDir(filepath.Dir(replica)); err != nil || len(ents) != 0 {
		t.Fatalf("readdir the parent %v, %v", names(ents), err)
	}
	// Made again in memory, it lists only what memory holds.
	if err := o.MkdirAll(plog, 0o755); err != nil {
		t.Fatal(err)
	}
	if ents, err := o.ReadDir(replica); err != nil || !reflect.DeepEqual(names(ents), []string{"plog"}) {
		t.Fatalf("readdir the dir made again %v, %v", names(ents), err)
	}
	if ents, err := o.ReadDir(plog); err != nil || len(ents) != 0 {
		t.Fatalf("readdir plog made again %v, %v", names(ents), err)
	}
	if _, err := o.Stat(filepath.Join(plog, "log.1.0")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("stat a base file under the dir made again: %v", err)
	}
	createFile(t, o, filepath.Join(plog, "log.1.0"), "new plog")
	if got := readAll(t, o, filepath.Join(plog, "log.1.0")); got != "new plog" {
		t.Fatalf("read %q", got)
	}
	// A memory directory renamed over an empty base directory hides it.
	moved := filepath.Join(dir, "empty")
	if err := o.Rename(plog, moved); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, o, filepath.Join(moved, "log.1.0")); got != "new plog" {
		t.Fatalf("read after the dir rename %q", got)
	}
	if got, want := o.Hidden(), []string{moved, replica}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Hidden() = %v, want %v", got, want)
	}
	if got, want := o.Written(), []string{filepath.Join(moved, "log.1.0")}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Written() = %v, want %v", got, want)
	}
}

// Copy-ups and whiteouts while others read: run with -race.
func TestOverlayConcurrentCopyOnWrite(t *testing.T) {
	dir := overlayBase(t)
	unchanged(t, dir)
	o := Overlay(OS)
	slog := filepath.Join(dir, "slog")
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range 50 {
			a, b := filepath.Join(slog, "log.1.0"), filepath.Join(slog, "log.1.0.removed")
			if i%2 == 1 {
				a, b = b, a
			}
			if err := o.Rename(a, b); err != nil {
				t.Error(err)
				return
			}
			if err := o.Truncate(filepath.Join(slog, "log.2.100"), int64(i%9)); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				ents, err := o.ReadDir(slog)
				if err != nil {
					t.Error(err)
					return
				}
				if len(ents) != 3 {
					t.Errorf("readdir %v", names(ents))
					return
				}
				if _, err := o.Stat(filepath.Join(slog, "log.2.100")); err != nil {
					t.Error(err)
					return
				}
				_ = o.Hidden()
			}
		}()
	}
	wg.Wait()
}
