package journal

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/waltool/waltool/internal/killpoint"
	"github.com/waltool/waltool/vfs"
)

const childEnv = "WALTOOL_JOURNAL_SIGKILL_CHILD" // root:n

// TestSigkillChild is the child of TestSigkill: it runs the script on the
// real filesystem and, before its n-th mutating operation, says so and
// waits to be killed.
func TestSigkillChild(t *testing.T) {
	v := os.Getenv(childEnv)
	if v == "" {
		t.Skip("the child of TestSigkill")
	}
	i := len(v) - 1
	for v[i] != ':' {
		i--
	}
	root := v[:i]
	n, err := strconv.ParseInt(v[i+1:], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	h := killpoint.New(vfs.OS, n, func() {
		fmt.Println("stopped")
		os.Stdout.Sync()
		for {
			time.Sleep(time.Hour)
		}
	})
	if err := runScript(scriptFS(h, root), root); err != nil {
		fmt.Println("error:", err)
		os.Exit(3)
	}
	fmt.Println("end")
}

// TestSigkill kills (SIGKILL) a real process running the script at points
// spread over all its mutating operations, then resumes or rolls back in
// this process.
func TestSigkill(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("in the child")
	}
	initial, final := trees(t)
	probe := tempRoot(t)
	setupTree(t, probe)
	h := killpoint.New(vfs.OS, -1, nil)
	if err := runScript(scriptFS(h, probe), probe); err != nil {
		t.Fatal(err)
	}
	total := h.Seen()
	stride := max(1, total/12)
	if testing.Short() {
		stride = max(1, total/3)
	}
	kills := 0
	for n := int64(0); n < total; n += stride {
		for _, then := range []string{"resume", "rollback"} {
			root := tempRoot(t)
			setupTree(t, root)
			kill(t, root, n)
			kills++
			var err error
			want := final
			if then == "resume" {
				err = runScript(scriptFS(vfs.OS, root), root)
			} else {
				_, err = rollbackRoot(scriptFS(vfs.OS, root), root)
				want = initial
			}
			if err != nil {
				t.Fatalf("killed at %d/%d, %s: %v", n, total, then, err)
			}
			sameTree(t, fmt.Sprintf("killed at %d/%d, %s", n, total, then), snapshot(t, root), want)
		}
	}
	t.Logf("%d kills over %d mutating operations", kills, total)
}

// kill runs the child on root, stopped before its n-th mutating
// operation, and SIGKILLs it there.
func kill(t *testing.T, root string, n int64) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSigkillChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s:%d", childEnv, filepath.Clean(root), n))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if s := sc.Text(); s == "stopped" || s == "end" || len(s) > 6 && s[:6] == "error:" {
				line <- s
				return
			}
		}
		line <- "no answer"
	}()
	var got string
	select {
	case got = <-line:
	case <-time.After(60 * time.Second):
		got = "timeout"
	}
	if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatal(err)
	}
	cmd.Wait()
	if got != "stopped" {
		t.Fatalf("child at %d: %s", n, got)
	}
}
