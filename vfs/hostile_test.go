package vfs

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Issue 9: `mkfifo d/log.1.0; waltool verify d/log.1.0` blocked in open(2)
// forever. OpenReadOnly opens only regular files and never blocks; ReadFile
// (replica metadata) likewise, and it caps what it reads.
func TestOpenReadOnlyRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "log.1.0")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	link := func(name, target string) string {
		p := filepath.Join(dir, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	reg := filepath.Join(dir, "log.9.0")
	if err := os.WriteFile(reg, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		fifo:                              "FIFO",
		link("log.2.0", fifo):             "FIFO",
		link("log.3.0", "/dev/zero"):      "character device",
		link("log.4.0", dir):              "directory",
		dir:                               "directory",
		link("log.5.0", "/nonexistent/x"): "no such file",
		link(".init-info", fifo):          "FIFO",
	}
	for p, want := range cases {
		done := make(chan error, 1)
		go func() {
			f, err := OS.OpenReadOnly(p)
			if err == nil {
				f.Close()
			}
			_, rerr := ReadFile(ReadOnly(OS), p, 1<<20)
			done <- errors.Join(err, rerr)
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %v, want %q", p, err, want)
			}
			if want != "no such file" && !errors.Is(err, ErrNotRegular) {
				t.Errorf("%s: %v is not ErrNotRegular", p, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: open blocked", p)
		}
	}
	f, err := OS.OpenReadOnly(reg)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	if n, _ := f.Read(b); n != 1 {
		t.Fatalf("regular file read %d bytes", n)
	}
	f.Close()
}

// A sparse file larger than the cap is refused from its size, without
// reading it.
func TestReadFileCapsSize(t *testing.T) {
	p := filepath.Join(t.TempDir(), ".app-info")
	if err := os.WriteFile(p, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, 1<<30); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadFile(OS, p, 1<<20); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("%v", err)
	}
	var pe *fs.PathError
	if _, err := ReadFile(OS, p, 1<<20); !errors.As(err, &pe) || pe.Path != p {
		t.Fatalf("%v does not name the file", err)
	}
}
