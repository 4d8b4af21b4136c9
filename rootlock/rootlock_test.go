package rootlock

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// A child process (this test binary, re-run) holds the lock of
// WALTOOL_TEST_HOLD until killed.
func TestMain(m *testing.M) {
	if root := os.Getenv("WALTOOL_TEST_HOLD"); root != "" {
		if _, err := Acquire(root, "waltool migrate --test"); err != nil {
			os.Stdout.WriteString("error " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Stdout.WriteString("held\n")
		select {}
	}
	os.Exit(m.Run())
}

// holder starts a child process holding root's lock.
func holder(t *testing.T, root string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "WALTOOL_TEST_HOLD="+root)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "held\n" {
		t.Fatalf("child: %q", line)
	}
	return cmd
}

// Two takers: the second fails at once, naming the holder; after Release
// the lock can be taken again and no file is left.
func TestSecondTakerFailsNamingTheHolder(t *testing.T) {
	root := t.TempDir()
	l, err := Acquire(root, "waltool gc --apply")
	if err != nil {
		t.Fatal(err)
	}
	if l.Stale != nil || l.Path() != filepath.Join(root, Name) {
		t.Fatalf("%+v", l)
	}
	_, err = Acquire(root, "waltool migrate")
	var held *HeldError
	if !errors.As(err, &held) || !errors.Is(err, ErrHeld) || held.Holder.PID != os.Getpid() || held.Holder.Command != "waltool gc --apply" {
		t.Fatalf("second taker: %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "pid "+strconv.Itoa(os.Getpid())+" (waltool gc --apply) since ") {
		t.Fatalf("message %q", msg)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, Name)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("lock file left after release: %v", err)
	}
	l2, err := Acquire(root, "waltool migrate")
	if err != nil {
		t.Fatal(err)
	}
	l2.Release()
	l2.Release() // twice is harmless
}

// Another process holding the lock is named; when it dies without
// releasing, its file is stale and taken over, and the taker is told whose
// it was.
func TestAnotherProcessThenStale(t *testing.T) {
	root := t.TempDir()
	child := holder(t, root)
	_, err := Acquire(root, "waltool gc --apply")
	var held *HeldError
	if !errors.As(err, &held) || held.Holder.PID != child.Process.Pid || held.Holder.Command != "waltool migrate --test" {
		t.Fatalf("while the child holds it: %v", err)
	}
	child.Process.Signal(syscall.SIGKILL)
	child.Wait()
	if _, err := os.Stat(filepath.Join(root, Name)); err != nil {
		t.Fatalf("the killed holder's file: %v", err)
	}
	l, err := Acquire(root, "waltool gc --apply")
	if err != nil {
		t.Fatalf("stale lock not taken over: %v", err)
	}
	defer l.Release()
	if l.Stale == nil || l.Stale.PID != child.Process.Pid {
		t.Fatalf("stale holder %+v", l.Stale)
	}
	b, _ := os.ReadFile(l.Path())
	if !strings.HasPrefix(string(b), "pid="+strconv.Itoa(os.Getpid())+"\ncommand=waltool gc --apply\n") {
		t.Fatalf("lock file holds %q", b)
	}
}

// A leftover file of any content (empty, garbage) without a flock is taken
// over; a symlink in place of the lock file is refused.
func TestStaleFileAndSymlink(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, Name), []byte("garbage\x00"), 0o644)
	l, err := Acquire(root, "x")
	if err != nil || l.Stale != nil {
		t.Fatalf("%v, %+v", err, l)
	}
	l.Release()
	other := filepath.Join(t.TempDir(), "elsewhere")
	os.Symlink(other, filepath.Join(root, Name))
	if _, err := Acquire(root, "x"); err == nil {
		t.Fatal("took a lock through a symlink")
	}
	if _, err := os.Stat(other); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("created the symlink's target")
	}
}
