package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/internal/killpoint"
	"github.com/waltool/waltool/schema"
)

// In the child (WALTOOL_MAIN=1), WALTOOL_STOP_AT=n stops waltool before
// the n-th mutating operation through writeFS (from 0): it prints
// "stopped" and waits for its SIGKILL. With -1 it never stops, and writes
// how many operations it made to WALTOOL_COUNT_FILE (or "ops <n>" to
// stderr) as it exits.
const (
	stopAtEnv    = "WALTOOL_STOP_AT"
	countFileEnv = "WALTOOL_COUNT_FILE"
)

// sigkillMain is main with writeFS hooked, in the child that TestMain
// runs when WALTOOL_STOP_AT is set.
func sigkillMain(stopAt string) {
	n, err := strconv.ParseInt(stopAt, 10, 64)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s=%q: %v\n", stopAtEnv, stopAt, err)
		os.Exit(exitUsage)
	}
	var once sync.Once
	h := killpoint.New(writeFS, n, func() {
		once.Do(func() {
			fmt.Fprintln(os.Stdout, "stopped")
			os.Stdout.Sync()
		})
		for {
			time.Sleep(time.Hour)
		}
	})
	writeFS = h
	ctx, stop := signalContext()
	code := runContext(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	if n < 0 {
		if p := os.Getenv(countFileEnv); p != "" {
			if err := os.WriteFile(p, []byte(strconv.FormatInt(h.Seen(), 10)), 0o644); err != nil {
				fmt.Fprintln(os.Stderr, err)
				code = exitUsage
			}
		} else {
			fmt.Fprintf(os.Stderr, "ops %d\n", h.Seen())
		}
	}
	os.Exit(code)
}

// A migration killed (SIGKILL, a real process) at points spread over its
// mutating operations; then, in this process, either `migrate resume`
// finishes it (the target server's replay is clean) and `migrate rollback`
// restores the root byte for byte, or `migrate rollback` does directly.
// A kill before the run's begin record is durable leaves no run of it:
// the root must be untouched, and the command runs again from the start.
type sigkillCase struct {
	// setup makes a fresh root: its path and the root flags.
	setup  func(t *testing.T) (string, []string)
	apply  []string // the command, without the root flags
	replay []string // what must be clean after the resume
}

// Not parallel: the in-process waltool shares urfave/cli's global flags.
func TestSigkillMigrateUpgrade(t *testing.T) {
	sigkillMigrate(t, sigkillCase{
		setup: func(t *testing.T) (string, []string) {
			m := genRoot(t, "")
			return m.Root, []string{"--data-dirs", m.DataDirs, m.Root}
		},
		apply:  []string{"migrate", "upgrade", "--apply"},
		replay: []string{"replay", "--server-version", "2.6", "--no-slog"},
	})
}

func TestSigkillMigrateDowngrade(t *testing.T) {
	sigkillMigrate(t, sigkillCase{
		setup: func(t *testing.T) (string, []string) {
			m, dd := upgradedRoot(t)
			// Two slog files a 2.4 server never collected: the downgrade
			// archives them and writes 2.3's header-only slog file.
			slog := filepath.Join(m.Root, "replica", "slog")
			ents, err := os.ReadDir(slog + ".waltool-archive")
			if err != nil || len(ents) < 2 {
				t.Fatalf("the upgrade's archive: %v, %d files", err, len(ents))
			}
			for _, e := range ents[:2] {
				if err := os.Rename(filepath.Join(slog+".waltool-archive", e.Name()), filepath.Join(slog, e.Name())); err != nil {
					t.Fatal(err)
				}
			}
			return m.Root, dd
		},
		apply:  []string{"migrate", "downgrade", "--to", "2.3", "--apply"},
		replay: []string{"replay", "--server-version", "2.3"},
	})
}

func sigkillMigrate(t *testing.T, c sigkillCase) {
	start := time.Now()
	total := countOps(t, c)
	points := int64(12)
	if testing.Short() {
		points = 4
	}
	kills, noRun, finished := 0, 0, 0
	for i := range points {
		n := i * (total - 1) / (points - 1) // the first and the last included
		for _, then := range []string{"resume", "rollback"} {
			what := fmt.Sprintf("killed before op %d/%d, then %s", n, total, then)
			root, dd := c.setup(t)
			initial := contents(t, root)
			runBefore, _ := lastRun(t, dd)
			if !killAt(t, n, append(c.apply, dd...)) {
				// The operation counts vary a little (the plog writer's
				// flush rounds): the command finished first.
				finished++
			} else {
				kills++
			}
			id, where := lastRun(t, dd)
			t.Logf("%s: %s", what, where)
			if id == "" || id == runBefore {
				// No run of this command: it was killed before its begin
				// record was durable (the run before it, if any, is still
				// the last, or was archived). Nothing of the root was
				// touched.
				noRun++
				if d := cmp.Diff(initial, contents(t, root)); d != "" {
					t.Fatalf("%s: no run recorded, but the root changed:\n%s", what, d)
				}
				out, errs, code := waltool(t, append([]string{"migrate", "resume"}, dd...)...)
				if code != 0 || !strings.Contains(out, "nothing to resume") {
					t.Fatalf("%s: resume with no run of it: exit %d:\n%s%s", what, code, out, errs)
				}
				if then == "resume" {
					// What is left of the killed begin does not stop the
					// command from running again.
					if out, errs, code := waltool(t, append(c.apply, dd...)...); code != 0 {
						t.Fatalf("%s: the command again: exit %d:\n%s%s", what, code, out, errs)
					}
					sigkillResumed(t, what, c, root, dd, initial)
				}
				continue
			}
			if then == "resume" {
				if out, errs, code := waltool(t, append([]string{"migrate", "resume"}, dd...)...); code != 0 {
					t.Fatalf("%s: resume: exit %d:\n%s%s", what, code, out, errs)
				}
				sigkillResumed(t, what, c, root, dd, initial)
				continue
			}
			if out, errs, code := waltool(t, append([]string{"migrate", "rollback"}, dd...)...); code != 0 {
				t.Fatalf("%s: rollback: exit %d:\n%s%s", what, code, out, errs)
			}
			if d := cmp.Diff(initial, contents(t, root)); d != "" {
				t.Fatalf("%s: rolled back, not byte for byte (-before +after):\n%s", what, d)
			}
		}
	}
	t.Logf("%d kills (%d before the run began, %d runs finished before their op) over %d mutating operations, in %v",
		kills, noRun, finished, total, time.Since(start).Round(time.Millisecond))
	if finished > 2 {
		// Only the last point may pass the end, should the count vary.
		t.Fatalf("%d of %d children finished without stopping: the hook does not stop them", finished, 2*points)
	}
}

// sigkillResumed checks a root whose run was carried to its end: the
// target's replay is clean, and a rollback restores initial.
func sigkillResumed(t *testing.T, what string, c sigkillCase, root string, dd []string, initial map[string]string) {
	t.Helper()
	if out, errs, code := waltool(t, append(c.replay, dd...)...); code != 0 {
		t.Fatalf("%s: %s after the resume: exit %d:\n%s%s", what, strings.Join(c.replay, " "), code, out, errs)
	}
	if out, errs, code := waltool(t, append([]string{"migrate", "rollback"}, dd...)...); code != 0 {
		t.Fatalf("%s: rollback after the resume: exit %d:\n%s%s", what, code, out, errs)
	}
	if d := cmp.Diff(initial, contents(t, root)); d != "" {
		t.Fatalf("%s: resumed then rolled back, not byte for byte (-before +after):\n%s", what, d)
	}
}

// countOps runs the command to its end in a child, on a fresh root, and
// returns how many mutating operations it made.
func countOps(t *testing.T, c sigkillCase) int64 {
	t.Helper()
	_, dd := c.setup(t)
	count := filepath.Join(t.TempDir(), "ops")
	cmd := waltoolCommand([]string{stopAtEnv + "=-1", countFileEnv + "=" + count}, append(c.apply, dd...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%q: %v:\n%s", c.apply, err, out)
	}
	b, err := os.ReadFile(count)
	if err != nil {
		t.Fatal(err)
	}
	total, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || total == 0 {
		t.Fatalf("ops %q: %v", b, err)
	}
	return total
}

// killAt runs waltool args in a child stopped before its n-th mutating
// operation and SIGKILLs it there. It reports false if the child finished
// (exit 0) before it came to that operation.
func killAt(t *testing.T, n int64, args []string) bool {
	t.Helper()
	cmd := waltoolCommand([]string{fmt.Sprintf("%s=%d", stopAtEnv, n)}, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var errb strings.Builder
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	stopped := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "stopped" {
				stopped <- true
				return
			}
		}
		stopped <- false
	}()
	var ok bool
	select {
	case ok = <-stopped:
	case <-time.After(hangBound):
		t.Fatalf("op %d: the child neither stopped nor ended in %v", n, hangBound)
	}
	if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Fatal(err)
	}
	err = cmd.Wait()
	if !ok && err != nil {
		t.Fatalf("op %d: the child ended without stopping: %v:\n%s", n, err, errb.String())
	}
	return ok
}

// lastRun is the id of the root's current migration run, "" if none,
// and where it stands.
func lastRun(t *testing.T, dd []string) (id, where string) {
	t.Helper()
	out, errs, code := waltool(t, append([]string{"migrate", "status", "--json"}, dd...)...)
	if code != 0 {
		t.Fatalf("status: exit %d:\n%s%s", code, out, errs)
	}
	var st schema.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status: %v:\n%s", err, out)
	}
	if len(st.Runs) == 0 {
		return "", "no run"
	}
	r := st.Runs[0]
	return r.RunID, fmt.Sprintf("run %s: phases %v, %d steps done, %d pending, %s", r.RunID, r.Phases, r.StepsDone, r.StepsPending, r.State)
}
