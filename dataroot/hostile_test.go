package dataroot

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/waltool/waltool/vfs"
)

// Issue 9: a PATH that is a FIFO (or a symlink to one) blocked in open(2);
// a directory, dangling symlink or /dev/zero symlink named like a log was
// "not a log file name" or an empty torn file. Resolve says "not a regular
// file" without opening it.
func TestResolveRefusesWhatIsNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "log.1.0")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	paths := []string{fifo}
	for name, target := range map[string]string{"log.2.0": fifo, "log.3.0": "/dev/zero", "log.4.0": "/nonexistent", "log.5.0": "log.5.0"} {
		p := filepath.Join(dir, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	d := filepath.Join(dir, "log.6.0")
	if err := os.Mkdir(d, 0o755); err != nil {
		t.Fatal(err)
	}
	paths = append(paths, d)
	for _, p := range paths {
		done := make(chan error, 1)
		go func() { _, err := Resolve(nil, p, Options{}); done <- err }()
		select {
		case err := <-done:
			if !errors.Is(err, vfs.ErrNotRegular) || !strings.Contains(err.Error(), p) {
				t.Errorf("%s: %v, want not a regular file", p, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: Resolve blocked", p)
		}
	}
}

// Issue 9: a FIFO or a /dev/zero symlink in place of .init-info or
// .app-info blocked or grew without bound; a sparse 1 GiB one cost 1 GiB.
// They are read through vfs.ReadFile: never opened unless regular, capped
// at 1 MiB, and a finding of the replica.
func TestHostileMetadataFiles(t *testing.T) {
	for _, name := range []string{InitInfoFile, AppInfoFile} {
		for _, kind := range []string{"fifo", "zero", "sparse"} {
			root := t.TempDir()
			dir := filepath.Join(root, "replica", "reps", "1.0.pegasus")
			if err := os.MkdirAll(filepath.Join(dir, "data"), 0o755); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, name)
			var err error
			switch kind {
			case "fifo":
				err = syscall.Mkfifo(p, 0o644)
			case "zero":
				err = os.Symlink("/dev/zero", p)
			case "sparse":
				if err = os.WriteFile(p, nil, 0o644); err == nil {
					err = os.Truncate(p, 1<<30)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			done := make(chan *Root, 1)
			go func() {
				r, err := Open(Options{Root: root})
				if err != nil {
					t.Error(err)
				}
				done <- r
			}()
			var r *Root
			select {
			case r = <-done:
			case <-time.After(5 * time.Second):
				t.Fatalf("%s %s: Open blocked", name, kind)
			}
			rep := r.Replicas[0]
			got := rep.InitInfoErr
			if name == AppInfoFile {
				got = rep.AppInfoErr
			}
			if !errors.Is(got, vfs.ErrNotRegular) && !errors.Is(got, vfs.ErrTooLarge) {
				t.Errorf("%s %s: %v", name, kind, got)
			}
		}
	}
}
