package ops

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/internal/iec"
	"github.com/waltool/waltool/openfiles"
	"github.com/waltool/waltool/rootlock"
	"github.com/waltool/waltool/verify"
)

// The guards every command that writes to a data root passes first
// (gc --apply, migrate): the root's lock, no process holding the root
// open, and nothing Pegasus would refuse.

// takeRoot takes the root's lock (gc --apply takes the same one) and
// refuses when a process has files of the root open (a running server).
func takeRoot(env *Env, t *dataroot.Target, command string) (*rootlock.Lock, error) {
	lock, err := lockRoot(env, t.Root.Path, command)
	if err != nil {
		return nil, err
	}
	if err := refuseOpenFiles(env, t.Root); err != nil {
		lock.Release()
		return nil, err
	}
	return lock, nil
}

// lockRoot takes the root's lock, before anything of the root is read for
// a run: two runs on one root never plan from the same state.
func lockRoot(env *Env, root, command string) (*rootlock.Lock, error) {
	lock, err := rootlock.Acquire(root, command)
	if err != nil {
		return nil, err
	}
	if lock.Stale != nil {
		fmt.Fprintf(env.warn(), "waltool: took over a stale lock file left by %s\n", lock.Stale)
	}
	return lock, nil
}

// refuseOpenFiles refuses when a process has a file under r open: its
// root, slog dir, data dirs, and every replica dir and plog dir, each
// resolved (openfiles.Scan follows symlinks), so that a replica dir
// symlinked elsewhere is covered too. Processes it could not inspect are
// said once, with their count.
func refuseOpenFiles(env *Env, r *dataroot.Root) error {
	roots := []string{r.Path, r.SlogDir}
	for _, d := range r.DataDirs {
		roots = append(roots, d.Path)
	}
	for _, rep := range r.Replicas {
		roots = append(roots, rep.Dir, filepath.Join(rep.Dir, "plog"))
	}
	use, err := openfiles.Scan(openfiles.Proc, roots, os.Getpid())
	if err != nil {
		return fmt.Errorf("looking for a server with the root open: %w", err)
	}
	if err := use.Err(); err != nil {
		return err
	}
	if n := len(use.Uninspected); n > 0 {
		fmt.Fprintf(env.warn(), "waltool: warning: %s could not be inspected (%s): a replica server among them would not be seen; run as root or as the server's user to be sure\n",
			iec.Plural(int64(n), "process"), uninspectedNames(use.Uninspected))
	}
	return nil
}

// uninspectedNames names a few of the processes, for the warning.
func uninspectedNames(us []openfiles.Uninspected) string {
	var names []string
	for i, u := range us {
		if i == 3 {
			names = append(names, "...")
			break
		}
		names = append(names, fmt.Sprintf("pid %d %s", u.PID, u.Command))
	}
	return strings.Join(names, ", ")
}

// refusingFindings are the findings of verify that make Pegasus refuse
// something in the root.
func refusingFindings(env *Env, t *dataroot.Target) ([]finding.Finding, error) {
	vr, err := verify.Target(t, verify.Options{FS: env.readFS()})
	if err != nil {
		return nil, err
	}
	return finding.Fatals(vr.All()), nil
}

// refuseNotOneServer is the refusal every write to a root makes (gc
// --apply, migrate upgrade|downgrade --apply) when fs, the findings of its
// report, hold mismatches of dataroot.Root.NotOneServer: the slog and the
// replica dirs do not look like one server's, and writing could then
// delete or fold another server's logs. --force goes on. The read-only
// commands report the same findings as warnings and refuse nothing.
func refuseNotOneServer(force bool, r *dataroot.Root, fs []finding.Finding, command string) error {
	why := notOneServerWhy(r, fs)
	if why == "" || force {
		return nil
	}
	return Findings("%s refused: %s; writing now could delete or fold another server's logs: check --config, --slog-dir and --data-dirs, or --force if they are one server's", command, why)
}

// explainNotOneServer is err, a migration's plan that failed, when the
// slog and the replica dirs do not look like one server's (notOne, the
// findings of dataroot.Root.NotOneServer, printed on stderr first): the
// replay of one server's slog over another's replicas aborts or fails, and
// the mismatch is what to fix, so it is a finding (exit 1).
func explainNotOneServer(env *Env, r *dataroot.Root, notOne []finding.Finding, err error) error {
	why := notOneServerWhy(r, notOne)
	if why == "" {
		return err
	}
	for _, f := range notOne {
		writeFinding(env.warn(), f)
	}
	return Refusal(append(finding.Fatals(FindingsOf(err)), notOne...), "%v; %s, which may be why: check --config, --slog-dir and --data-dirs", err, why)
}

// notOneServerWhy names the dirs and the replicas of NotOneServer's
// mismatches among fs; "" when there is none.
func notOneServerWhy(r *dataroot.Root, fs []finding.Finding) string {
	var gs []string
	seen := map[string]bool{}
	for _, f := range fs {
		if dataroot.IsNotOneServer(f) && f.Gpid != nil && !seen[f.Gpid.String()] {
			seen[f.Gpid.String()] = true
			gs = append(gs, f.Gpid.String())
		}
	}
	if len(gs) == 0 {
		return ""
	}
	n := len(gs)
	if n > 5 {
		gs = append(gs[:5], "...")
	}
	return fmt.Sprintf("the slog dir %s and the data dirs %s do not look like one server's: %s (%s) contradict the slog's file headers or end (above)",
		r.SlogDir, strings.Join(r.DataDirPaths(), ","), iec.Plural(int64(n), "replica"), strings.Join(gs, ", "))
}
