package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Flags that contradict each other, or one that another makes meaningless,
// are a usage error naming both, before anything is read or written.
func TestContradictoryFlagsRefused(t *testing.T) {
	m := genRoot(t, "")
	r, dd := m.Root, m.DataDirs
	trash := filepath.Join(t.TempDir(), "trash")
	before := snapshot(t, filepath.Dir(r))
	// Were a check gone, a short run on a scratch dir, not a benchmark.
	brief := []string{"--duration", "1ms", "--dirs", t.TempDir()}
	for _, tc := range []struct {
		args []string
		want []string // in the message
	}{
		{[]string{"gc", r, "--data-dirs", dd, "--check", "--apply"}, []string{"--check", "--apply"}},
		{[]string{"gc", r, "--data-dirs", dd, "--check", "--apply", "--trash", trash}, []string{"--check", "--apply"}},
		{[]string{"gc", r, "--data-dirs", dd, "--trash", trash, "--check"}, []string{"--trash", "--apply"}},
		{[]string{"gc", r, "--data-dirs", dd, "--trash", trash}, []string{"--trash", "--apply"}},
		{[]string{"gc", r, "--data-dirs", dd, "--trash", trash, "--apply=false"}, []string{"--trash", "--apply"}},
		{[]string{"gc", r, "--data-dirs", dd, "--force"}, []string{"--force", "--apply"}},
		{[]string{"gc", r, "--data-dirs", dd, "--rule", "2.5", "--log", "plog"}, []string{"--rule", "--log plog"}},
		{[]string{"gc", r, "--data-dirs", dd, "--rule", "2.4", "--server-version", "2.6"}, []string{"--rule", "2.6"}},
		{[]string{"gc", r, "--data-dirs", dd, "--dup-confirmed", "1.0=5"}, []string{"--dup-confirmed", "--log"}},
		{[]string{"gc", r, "--data-dirs", dd, "--now", "5"}, []string{"--now", "--log"}},
		{[]string{"gc", r, "--data-dirs", dd, "--log-private-reserve-max-size-mb", "5"}, []string{"--log-private-reserve-max-size-mb", "--log"}},
		{[]string{"gc", r, "--data-dirs", dd, "--log-private-reserve-max-time-seconds", "5"}, []string{"--log-private-reserve-max-time-seconds", "--log"}},
		{[]string{"gc", r, "--data-dirs", dd, "--log-shared-file-count-limit", "5", "--rule", "2.5"}, []string{"--log-shared-file-count-limit", "2.4"}},
		{[]string{"gc", r, "--data-dirs", dd, "--log-shared-gc-flush-replicas-limit", "5"}, []string{"--log-shared-gc-flush-replicas-limit", "2.5"}},
		{[]string{"gc", r, "--data-dirs", dd, "--log-shared-gc-flush-replicas-limit", "5", "--server-version", "2.5", "--log", "plog"}, []string{"--log-shared-gc-flush-replicas-limit", "2.5"}},
		{[]string{"gc", r, "--data-dirs", dd, "--no-slog", "--slog-dir", r}, []string{"--no-slog", "--slog-dir"}},
		{[]string{"verify", r, "--no-slog", "--slog-dir", r}, []string{"--no-slog", "--slog-dir"}},
		{[]string{"replay", r, "--no-slog", "--slog-dir", r}, []string{"--no-slog", "--slog-dir"}},
		{[]string{"dump", r, "--cargs", "a=b"}, []string{"--cargs", "--config"}},
		{[]string{"dump", r, "--from-decree", "9", "--to-decree", "3"}, []string{"--from-decree", "--to-decree"}},
		{[]string{"replay", r, "--data-dirs", dd, "-d"}, []string{"-d only means something with --emit"}},
		{[]string{"replay", r, "--data-dirs", dd, "--detailed"}, []string{"--detailed only means something with --emit"}},
		{[]string{"gc", r, "--data-dirs", dd, "-check", "--apply"}, []string{"-check and --apply contradict"}},
		{[]string{"migrate", "upgrade", r, "--data-dirs", dd, "--force"}, []string{"--force", "--apply"}},
		{[]string{"migrate", "upgrade", r, "--data-dirs", dd, "--no-slog"}, []string{"--no-slog", "fold"}},
		{[]string{"migrate", "downgrade", "--to", "2.5", r, "--data-dirs", dd, "--force"}, []string{"--force", "--apply"}},
		{[]string{"migrate", "downgrade", "--to", "2.5", r, "--data-dirs", dd, "--restore-slog-archive", "--slog-archive", trash}, []string{"--restore-slog-archive", "--slog-archive"}},
		{[]string{"bench", "verify", r, "--no-slog", "--slog-dir", r}, []string{"--no-slog", "--slog-dir"}},
		{append([]string{"bench", "write", "--modes", "raw-fsync", "--etcd-bin", "/nonexistent"}, brief...), []string{"--etcd-bin", "etcd-wal"}},
		{append([]string{"bench", "write", "--modes", "raw-fsync", "--flush", "fdatasync"}, brief...), []string{"--flush", "plog-parallel"}},
		{append([]string{"bench", "write", "--modes", "raw-fsync", "--parallelism", "2"}, brief...), []string{"--parallelism", "plog-parallel"}},
		{append([]string{"bench", "write", "--modes", "raw-fsync", "--preallocate=false"}, brief...), []string{"--preallocate", "plog-parallel"}},
		{append([]string{"bench", "write", "--modes", "raw-fsync", "--start-writeback=false"}, brief...), []string{"--start-writeback", "plog-parallel"}},
		// An empty value (a script's unset variable) and a one-value flag
		// given twice are refused: --trash "" deleted for good.
		{[]string{"gc", r, "--data-dirs", dd, "--log", "all", "--apply", "--trash", ""}, []string{"--trash needs a value"}},
		{[]string{"verify", r, "--slog-dir="}, []string{"--slog-dir needs a value"}},
		{[]string{"replay", r, "--data-dirs", dd, "--emit", "1.0", "--emit", "1.1"}, []string{"--emit is given more than once"}},
		{[]string{"gc", r, "--data-dirs", dd, "--log", "all", "--log=plog"}, []string{"--log is given more than once"}},
		{[]string{"migrate", "downgrade", "--to", "2.4", r, "--data-dirs", dd, "--seed", "-1"}, []string{"--seed -1", "at least 0"}},
		{[]string{"migrate", "upgrade", r, "--data-dirs", dd, "--slog-archive", filepath.Join(r, "replica", "slog", "a")}, []string{"--slog-archive", "inside"}},
		{[]string{"migrate", "upgrade", r, "--data-dirs", dd, "--slog-archive", filepath.Join(r, "replica", "reps", "a")}, []string{"--slog-archive", "inside"}},
	} {
		out, errs, code := waltool(t, tc.args...)
		first, _, _ := strings.Cut(errs, "\n")
		ok := code == exitUsage && out == "" && strings.Count(errs, "\n") == 2
		for _, w := range tc.want {
			ok = ok && strings.Contains(first, w)
		}
		if !ok {
			t.Errorf("%q: exit %d, stdout %.200q, stderr %q", tc.args, code, out, errs)
		}
	}
	if d := cmp.Diff(before, snapshot(t, filepath.Dir(r))); d != "" {
		t.Fatalf("a refused command changed the root:\n%s", d)
	}
}
