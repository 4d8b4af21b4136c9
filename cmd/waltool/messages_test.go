package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// goInternals are what a Go program says when it passes its own errors on:
// a struct printed with %v, strconv's and the flag package's wording, and
// flag names with one dash (the flag package's spelling; waltool's flags
// are typed --name).
var goInternals = regexp.MustCompile(`\[\{|strconv\.|parse error|%!|flag provided but not defined|flag needs an argument|Required flag|invalid boolean|[^-\w]-[a-z][a-z-]+\b`)

// Usage errors are plain sentences naming the flag as typed, with its
// value; counts that cannot be negative or zero are refused.
func TestMessagesArePlain(t *testing.T) {
	plog := realReplica(t, "log.1.0.handle_real_private_log")
	empty := t.TempDir()
	out := filepath.Join(t.TempDir(), "gen")
	// Were the check gone, a second's run on a scratch dir, not a benchmark.
	brief := []string{"--modes", "raw-fsync", "--duration", "1ms", "--dirs", t.TempDir()}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"verify", "--workers", "x", plog}, "--workers x: want a whole number"},
		{[]string{"help", "verify", "extra"}, `"extra" is not a command of waltool verify`},
		{[]string{"replay", "--no-slog", "--durable-decrees", writeTemp(t, `{"1.2": "x"}`), filepath.Dir(plog)}, "want a JSON object of gpids and decrees"},
		{[]string{"replay", "--no-slog", "--durable-decrees", writeTemp(t, `{"1.2": -5}`), filepath.Dir(plog)}, `1.2: "-5" is not a decree`},
		{[]string{"replay", "--no-slog", "--durable-decrees", writeTemp(t, `{"x": 5}`), filepath.Dir(plog)}, `"x" is not a gpid`},
		{[]string{"verify", "--workers", "-3", plog}, "--workers -3: want at least 1"},
		{[]string{"verify", "--workers", "0", plog}, "--workers 0: want at least 1"},
		{[]string{"verify", "--workers=99999999999999999999", plog}, "--workers 99999999999999999999: too large"},
		{[]string{"dump", "--max-bytes", "x", plog}, "--max-bytes x: want a number of bytes"},
		{[]string{"dump", "--from-decree", "x", plog}, "--from-decree x: want a whole number"},
		{[]string{"dump", "--gpid", "1.x", plog}, `--gpid 1.x: the partition index must be a whole number`},
		{[]string{"dump", "--gpid", "99999999999.0", plog}, `--gpid 99999999999.0: the app id is too large`},
		{[]string{"dump", plog, "--nope"}, "unknown flag --nope"},
		{[]string{"dump", plog, "--detailled"}, `unknown flag --detailled (did you mean --detailed?)`},
		{[]string{"dump", plog, "-nope"}, "unknown flag -nope"},
		{[]string{"--nope"}, "unknown flag --nope"},
		{[]string{"verify", "--json=maybe", plog}, "--json=maybe: want true or false"},
		{[]string{"verify", empty}, "no replicas under " + filepath.Join(empty, "replica", "reps") + ")"},
		{[]string{"migrate", "downgrade", empty}, "--to is required"},
		{[]string{"bench", "write", "--duration", "x"}, "--duration x: want a duration, as 10s or 1m30s"},
		{[]string{"bench", "verify", "--runs", "0", plog}, "--runs 0: want at least 1"},
		{[]string{"bench", "replay", "--runs", "-1", empty}, "--runs -1: want at least 1"},
		{append([]string{"bench", "write", "--clients", "0"}, brief...), "--clients 0: want at least 1"},
		{append([]string{"bench", "write", "--neighbour-mbps", "-1"}, brief...), "--neighbour-mbps -1: want at least 0"},
		{[]string{"migrate", "downgrade", "--to", "2.5", "--next-writes", "0", empty}, "--next-writes 0: want at least 1"},
		{[]string{"fixtures", "gen", "--out", out, "--apps", "x"}, "--apps x: want a whole number"},
		{[]string{"fixtures", "gen", "--out", out, "--apps", "-1"}, "--apps -1: want at least 1"},
		{[]string{"fixtures", "gen", "--out", out, "--replicas", "0"}, "--replicas 0: want at least 1"},
		{[]string{"fixtures", "gen", "--out", out, "--mutations", "0"}, "--mutations 0: want at least 1"},
		{[]string{"fixtures", "gen", "--out", out, "--disks", "0"}, "--disks 0: want at least 1"},
		{[]string{"fixtures", "gen", "--out", out, "--value-size", "0"}, "--value-size 0: want at least 1"},
		{[]string{"fixtures", "gen", "--out", out, "--slog-file-size", "0"}, "--slog-file-size 0: want at least 1"},
	} {
		stdout, errs, code := waltool(t, tc.args...)
		first, _, _ := strings.Cut(errs, "\n")
		if code != exitUsage || stdout != "" || !strings.Contains(first, tc.want) || goInternals.MatchString(strings.ReplaceAll(errs, " -nope", "")) {
			t.Errorf("%q: exit %d, stdout %.100q, stderr %q; want %q", tc.args, code, stdout, errs, tc.want)
		}
	}
}

// A filter that matches nothing is said, on stderr; the exit status stays 0
// (nothing is wrong with the logs).
func TestDumpSaysNothingMatched(t *testing.T) {
	plog := realReplica(t, "log.1.0.handle_real_private_log")
	for _, args := range [][]string{{"--gpid", "9.9"}, {"--from-decree", "1000"}, {"--json", "--gpid", "1.4", "--gpid", "9.9", "--to-decree", "0"}} {
		out, errs, code := waltool(t, append(append([]string{"dump"}, args...), plog)...)
		if args[0] == "--json" && strings.Count(out, "\n") == 1 && strings.Contains(out, `"record":"end"`) && strings.Contains(out, `"printed":0`) {
			out = "" // JSON Lines end with the stream's end record
		}
		if code != exitOK || out != "" || !strings.Contains(errs, "note: none of the 7 mutations read matched ") || !strings.Contains(errs, args[len(args)-1]) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	if _, errs, _ := waltool(t, "dump", "--gpid", "1.4", plog); errs != "" {
		t.Errorf("a filter that matched: stderr %q", errs)
	}
}

// writeTemp writes s to a new file and returns its path.
func writeTemp(t *testing.T, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
