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

// overlayBase makes a small data root: two slog files, a plog file, an
// empty directory and a dangling symlink.
func overlayBase(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for p, data := range map[string]string{
		"slog/log.1.0":                     "slog-one",
		"slog/log.2.100":                   "slog-two!",
		"replica/1.0.pegasus/plog/log.1.0": "plog",
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

// Nothing the overlay is asked to do changes the base: what would is
// refused with ErrReadOnly, and the rest happens in memory.
func TestOverlayNeverModifiesBase(t *testing.T) {
	dir := overlayBase(t)
	before := hashTree(t, dir)
	o := Overlay(OS)
	base := func(p string) string { return filepath.Join(dir, p) }
	createFile(t, o, base("slog/log.3.0"), "new")
	_, createErr := o.Create(base("slog/log.1.0"))
	for _, c := range []struct {
		name string
		err  error
	}{
		{"rename a base file", o.Rename(base("slog/log.1.0"), base("slog/log.1.0.bak"))},
		{"rename a base dir", o.Rename(base("slog"), base("slog.bak"))},
		{"rename a base symlink", o.Rename(base("slog/dangling"), base("slog/d2"))},
		{"rename over a base file", o.Rename(base("slog/log.3.0"), base("slog/log.2.100"))},
		{"rename over a base dir", o.Rename(base("slog/log.3.0"), base("empty"))},
		{"rename no-replace a base file", RenameNoReplace(o, base("slog/log.1.0"), base("x"))},
		{"remove a base file", o.Remove(base("slog/log.1.0"))},
		{"remove a base dir", o.Remove(base("empty"))},
		{"remove a base symlink", o.Remove(base("slog/dangling"))},
		{"truncate a base file", o.Truncate(base("slog/log.2.100"), 1)},
		{"create over a base file", createErr},
	} {
		var pe *fs.PathError
		if !errors.Is(c.err, ErrReadOnly) || !errors.As(c.err, &pe) || !strings.HasPrefix(pe.Path, dir) {
			t.Errorf("%s: %v, want a *fs.PathError wrapping ErrReadOnly", c.name, c.err)
		}
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
	if after := hashTree(t, dir); after != before {
		t.Fatal("the base changed")
	}
	if got, want := o.Written(), []string{base("slog/log.3.5")}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Written() = %v, want %v", got, want)
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
