package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/ops"
	"github.com/waltool/waltool/vfs"
)

// waltoolWithin is waltool failing the test if the command does not return
// in a few seconds (the hostile inputs below used to hang it).
func waltoolWithin(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	type res struct {
		out, errs string
		code      int
	}
	done := make(chan res, 1)
	go func() {
		o, e, c := waltool(t, args...)
		done <- res{o, e, c}
	}()
	select {
	case r := <-done:
		return r.out, r.errs, r.code
	case <-time.After(20 * time.Second):
		t.Fatalf("waltool %v did not finish", args)
	}
	return "", "", 0
}

// smallRoot generates a small healthy data root.
func smallRoot(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "root")
	if _, errs, code := waltool(t, "fixtures", "gen", "--out", root, "--apps", "1", "--replicas", "2", "--mutations", "200", "--progress=false"); code != 0 {
		t.Fatalf("fixtures gen: %d %s", code, errs)
	}
	return root
}

// withFaults makes the CLI read through a Faulty FS for the test.
func withFaults(t *testing.T, faults ...vfs.Fault) {
	t.Helper()
	fy := vfs.NewFaulty(vfs.OS)
	for _, f := range faults {
		fy.Inject(f)
	}
	saved := readOnlyFS
	readOnlyFS = vfs.ReadOnly(fy)
	t.Cleanup(func() { readOnlyFS = saved })
}

// Issue 9: a FIFO (or a symlink to one) as PATH blocked verify and dump in
// open(2) forever; a /dev/zero symlink or a directory named like a log
// was an empty torn file or "not a log file name".
func TestCLINotRegularPaths(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "log.1.0")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "log.2.0")
	zero := filepath.Join(dir, "log.3.0")
	sub := filepath.Join(dir, "log.4.0")
	if os.Symlink(fifo, link) != nil || os.Symlink("/dev/zero", zero) != nil || os.Mkdir(sub, 0o755) != nil {
		t.Fatal("setup")
	}
	for _, p := range []string{fifo, link, zero, sub} {
		for _, cmd := range []string{"verify", "dump"} {
			_, errs, code := waltoolWithin(t, cmd, p)
			if code != ops.ExitUsage || !strings.Contains(errs, "not a regular file") {
				t.Errorf("%s %s: exit %d %q", cmd, p, code, errs)
			}
		}
	}
	// The same entries inside a log dir are findings, and nothing blocks.
	plog := realReplica(t, "log.1.0.handle_real_private_log")
	if err := syscall.Mkfifo(filepath.Join(plog, "log.2.1000000"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, code := waltoolWithin(t, "verify", plog)
	if code != ops.ExitFindings || !strings.Contains(out, "not a regular file (a FIFO)") {
		t.Errorf("verify dir with a FIFO: exit %d\n%s", code, out)
	}
	if _, _, code := waltoolWithin(t, "dump", plog); code != ops.ExitOK {
		t.Errorf("dump dir with a FIFO: exit %d", code)
	}
}

// Issue 9: a FIFO in place of .init-info or .app-info blocked verify and
// replay; a /dev/zero symlink grew memory without bound.
func TestCLIHostileMetadata(t *testing.T) {
	for _, name := range []string{".init-info", ".app-info"} {
		root := smallRoot(t)
		reps, _ := filepath.Glob(filepath.Join(root, "replica", "reps", "1.0.*"))
		p := filepath.Join(reps[0], name)
		os.Remove(p)
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Fatal(err)
		}
		reps2, _ := filepath.Glob(filepath.Join(root, "replica", "reps", "1.1.*"))
		p2 := filepath.Join(reps2[0], name)
		os.Remove(p2)
		if err := os.Symlink("/dev/zero", p2); err != nil {
			t.Fatal(err)
		}
		for _, cmd := range []string{"verify", "replay"} {
			out, errs, code := waltoolWithin(t, cmd, root)
			if code != ops.ExitFindings || !strings.Contains(out, "not a regular file") {
				t.Errorf("%s with a FIFO %s: exit %d\n%s%s", cmd, name, code, out, errs)
			}
		}
	}
}

// Issue 9: an unreadable plog file (mode 000 for an unprivileged user)
// made verify and dump exit 2 but replay 1; an unreadable .init-info made
// verify exit 1 and call it CORRUPT. I/O errors exit 2 on every command.
// Tests run as root, so the EACCES is injected.
func TestCLIUnreadableInputsExit2(t *testing.T) {
	root := smallRoot(t)
	t.Run("plog file", func(t *testing.T) {
		withFaults(t, vfs.Fault{Op: vfs.OpOpen, Path: "1.0.pegasus/plog/log.", Times: -1, Err: fs.ErrPermission})
		for _, cmd := range []string{"verify", "dump", "replay"} {
			out, errs, code := waltoolWithin(t, cmd, root)
			if code != ops.ExitUsage || !strings.Contains(out+errs, "permission denied") {
				t.Errorf("%s: exit %d\n%s%s", cmd, code, out, errs)
			}
		}
	})
	t.Run("init-info", func(t *testing.T) {
		withFaults(t, vfs.Fault{Op: vfs.OpOpen, Path: "1.0.pegasus/.init-info", Times: -1, Err: fs.ErrPermission})
		for _, cmd := range []string{"verify", "replay"} {
			out, errs, code := waltoolWithin(t, cmd, root)
			if code != ops.ExitUsage || strings.Contains(out, "CORRUPT: "+root) || !strings.Contains(out, "ERROR:") {
				t.Errorf("%s: exit %d\n%s%s", cmd, code, out, errs)
			}
		}
	})
}

// Issue 9: `dump -d` on a malformed payload printed an offset inside the
// payload and exited 0.
func TestCLIDumpMalformedPayload(t *testing.T) {
	dir := t.TempDir()
	g := gpid.Gpid{App: 1, Partition: 0}
	w := format.NewLogWriter(dir, 0, 0, []format.ReplicaLogInfo{{Gpid: g}}, format.WriterOptions{})
	m := &format.Mutation{Gpid: g, Ballot: 1, Decree: 1, Updates: []format.Update{{Code: "RPC_RRDB_RRDB_PUT", SerializationType: 1, Data: []byte{0x0c, 0x00, 0x01, 0xff, 0xff}}}}
	if err := w.Append(m); err != nil {
		t.Fatal(err)
	}
	w.Close()
	p := filepath.Join(dir, "log.1.0")
	for _, args := range [][]string{{"dump", "-d", p}, {"dump", "-d", "--json", p}} {
		_, errs, code := waltoolWithin(t, args...)
		if code != ops.ExitFindings || !strings.Contains(errs, p+": mutation at offset ") || !strings.Contains(errs, "malformed RPC_RRDB_RRDB_PUT payload") {
			t.Errorf("%v: exit %d %q", args, code, errs)
		}
	}
	if _, _, code := waltoolWithin(t, "dump", p); code != ops.ExitOK {
		t.Errorf("dump without -d: exit %d", code)
	}
}

// Issue 9: checkpoint.9223372036854775807 made replay spin forever and
// verify say OK.
func TestCLICheckpointAtMaxDecree(t *testing.T) {
	root := smallRoot(t)
	reps, _ := filepath.Glob(filepath.Join(root, "replica", "reps", "1.0.*"))
	if err := os.Mkdir(filepath.Join(reps[0], "data", "checkpoint.9223372036854775807"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"verify", "replay"} {
		out, _, code := waltoolWithin(t, cmd, root)
		if code != ops.ExitFindings || !strings.Contains(out, "largest int64") {
			t.Errorf("%s: exit %d\n%s", cmd, code, out)
		}
	}
	dd := filepath.Join(t.TempDir(), "dd.json")
	os.WriteFile(dd, []byte(`{"1.1": 9223372036854775807}`), 0o644)
	if _, _, code := waltoolWithin(t, "replay", "--durable-decrees", dd, root); code == ops.ExitUsage {
		t.Errorf("--durable-decrees at 2^63-1: exit %d", code)
	}
}
