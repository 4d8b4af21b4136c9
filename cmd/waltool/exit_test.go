package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/vfs"
)

// damageLastSlogFile flips a byte in the body of the newest slog file's
// fourth block: the server reads it at start (the slog replay starts at
// the newest files) and refuses the slog.
func damageLastSlogFile(t *testing.T, root string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(root, "replica", "slog", "log.*"))
	if len(files) == 0 {
		t.Fatal("no slog file")
	}
	last := files[0]
	for _, f := range files {
		if len(f) > len(last) || len(f) == len(last) && f > last {
			last = f
		}
	}
	b, err := os.ReadFile(last)
	if err != nil || len(b) < 4000 {
		t.Fatalf("%s: %d bytes, %v", last, len(b), err)
	}
	b[3000] ^= 0xff
	if err := os.WriteFile(last, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return last
}

// Issue 18: one mapping from how a command ended to its exit status
// (exitOf, docs/commands.md), the same for every command: what Pegasus
// would refuse is 1 (a corrupt slog refused by migrate exited 2), waltool
// unable to read is 2 (gc --apply on an unreadable replica exited 1 while
// its dry run exited 2).
func TestOneExitMappingForEveryCommand(t *testing.T) {
	t.Run("a slog the server refuses: 1", func(t *testing.T) {
		for _, args := range [][]string{
			{"verify"}, {"replay"}, {"gc", "--log", "all"}, {"gc", "--apply", "--log", "all"},
			{"migrate", "upgrade"}, {"migrate", "upgrade", "--apply"}, {"migrate", "downgrade", "--to", "2.4"},
		} {
			root := smallRoot(t)
			damaged := damageLastSlogFile(t, root)
			before := contents(t, root)
			out, errs, code := waltool(t, append(args, "--json", root)...)
			if code != exitFindings || !strings.Contains(out, damaged) {
				t.Errorf("%v: exit %d, want 1, and the damaged file named:\n%s%s", args, code, clip(out), errs)
			}
			if after := contents(t, root); len(after) != len(before) {
				t.Errorf("%v changed the root", args)
			}
		}
	})
	t.Run("a plog waltool cannot read: 2", func(t *testing.T) {
		for _, args := range [][]string{
			{"verify"}, {"replay"}, {"gc", "--log", "all"}, {"gc", "--apply", "--log", "all"}, {"migrate", "upgrade"},
		} {
			root := smallRoot(t)
			withFaults(t, vfs.Fault{Op: vfs.OpOpen, Path: "1.0.pegasus/plog/log.", Times: -1, Err: fs.ErrPermission})
			out, errs, code := waltoolWithin(t, append(args, "--json", root)...)
			if code != exitUsage || !strings.Contains(out+errs, "permission denied") {
				t.Errorf("%v: exit %d, want 2:\n%s%s", args, code, clip(out), errs)
			}
		}
	})
}

// Issue 18: errors said their path twice ("write X: write X: no space
// left on device"). Each is said once.
func TestErrorsNameTheirPathOnce(t *testing.T) {
	m := genRoot(t, "")
	fy := vfs.NewFaulty(vfs.OS)
	fy.Inject(vfs.Fault{Op: vfs.OpWrite, Times: -1, Err: syscall.ENOSPC})
	saved := writeFS
	writeFS = fy
	defer func() { writeFS = saved }()
	_, errs, code := waltool(t, "migrate", "upgrade", "--apply", "--data-dirs", m.DataDirs, m.Root)
	if code != exitUsage || !strings.Contains(errs, "no space left on device") {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, f := range strings.Fields(errs) {
		if strings.HasPrefix(f, "/") && strings.Count(errs, strings.TrimSuffix(f, ":")) > 1 {
			t.Errorf("%s is said twice: %s", f, errs)
		}
	}
}

// A FIFO named like a log file in the slog dir: mutation_log::open lists
// it and opens it, which blocks the server's start. verify said so, but
// replay, gc and migrate read past it, and migrate upgrade --apply
// "archived" the slog around it. The server's open (logrules.Open) refuses
// it, so every command does.
func TestAFIFOInTheSlogDirIsRefusedByEveryCommand(t *testing.T) {
	root := smallRoot(t)
	fifo := filepath.Join(root, "replica", "slog", "log.99.999999999")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip(err)
	}
	before := contents(t, root)
	for _, args := range [][]string{{"verify"}, {"replay"}, {"gc"}, {"migrate", "upgrade"}, {"migrate", "upgrade", "--apply"}} {
		out, errs, code := waltoolWithin(t, append(args, root)...)
		if code != exitFindings || !strings.Contains(out+errs, fifo) {
			t.Errorf("%v: exit %d, want 1 naming the FIFO:\n%s%s", args, code, clip(out), errs)
		}
	}
	if d := cmp.Diff(before, contents(t, root)); d != "" {
		t.Errorf("the root changed:\n%s", d)
	}
}

// Issue 18: a slog dir that is not there, or a data dir that is a file,
// got different exit statuses by command (migrate upgrade exited 2 on a
// missing slog, a data dir through a file was "unreadable", exit 2). A
// layout mistake is `missing`, exit 1, on every command that needs the dir.
func TestLayoutMistakesExit1(t *testing.T) {
	root := smallRoot(t)
	if err := os.RemoveAll(filepath.Join(root, "replica", "slog")); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"replay"}, {"gc"}, {"migrate", "upgrade"}, {"migrate", "upgrade", "--apply"}} {
		if out, errs, code := waltool(t, append(args, "--json", root)...); code != exitFindings || !strings.Contains(out, `"class": "missing"`) {
			t.Errorf("no slog dir: %v: exit %d:\n%s%s", args, code, clip(out), errs)
		}
	}
	file := filepath.Join(t.TempDir(), "afile")
	os.WriteFile(file, nil, 0o644)
	root = smallRoot(t)
	for _, args := range [][]string{{"verify"}, {"replay"}, {"gc"}, {"dump"}, {"migrate", "upgrade"}} {
		out, errs, code := waltool(t, append(args, "--data-dirs", "x:"+file, root)...)
		if code != exitFindings || !strings.Contains(out+errs, "not a directory") {
			t.Errorf("a data dir through a file: %v: exit %d:\n%s%s", args, code, clip(out), errs)
		}
	}
}
