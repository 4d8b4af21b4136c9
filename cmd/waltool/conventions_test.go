package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/dump"
	"github.com/waltool/waltool/fixtures"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/internal/clikit"
	"github.com/waltool/waltool/internal/iec"
	"github.com/waltool/waltool/replay"
	"github.com/waltool/waltool/schema"
)

func TestVersion(t *testing.T) {
	for _, arg := range []string{"--version", "-v"} {
		out, errs, code := waltool(t, arg)
		if code != 0 || !strings.HasPrefix(out, "waltool ") || !strings.Contains(out, " (commit ") || strings.Count(out, "\n") != 1 || errs != "" {
			t.Errorf("%s: exit %d, out %q, err %q", arg, code, out, errs)
		}
	}
}

func TestHelpCommand(t *testing.T) {
	for _, args := range [][]string{{"help", "dump"}, {"help", "fixtures", "gen"}, {"help", "bench", "write"}, {"dump", "--help"}, {"help"}} {
		out, errs, code := waltool(t, args...)
		if code != 0 || errs != "" || !strings.Contains(out, "USAGE:") {
			t.Errorf("%q: exit %d, stderr %q\n%s", args, code, errs, out)
		}
		if args[0] == "help" && len(args) > 1 && !strings.Contains(out, "waltool "+strings.Join(args[1:], " ")) {
			t.Errorf("%q: help of another command:\n%s", args, out)
		}
	}
}

// A usage error is one line and a hint on stderr, nothing on stdout, exit 2.
func TestUsageErrorsAreShort(t *testing.T) {
	plog := realReplica(t, "log.1.0.handle_real_private_log")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"dumpp", plog}, `unknown command "dumpp" (did you mean "dump"?)`},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"help", "frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"bench", "nope"}, `waltool bench: unknown command "nope"`},
		{[]string{"dump", "--nope", plog}, "waltool dump: unknown flag --nope"},
		{[]string{"verify", plog, "--nope"}, "waltool verify: unknown flag --nope"},
		{[]string{"--nope"}, "waltool: unknown flag --nope"},
		{[]string{"fixtures", "gen"}, "waltool fixtures gen: --out is required"},
	} {
		out, errs, code := waltool(t, tc.args...)
		lines := strings.Split(strings.TrimSuffix(errs, "\n"), "\n")
		if code != exitUsage || out != "" || len(lines) != 2 || !strings.Contains(lines[0], tc.want) || !strings.HasPrefix(lines[1], "Run 'waltool") {
			t.Errorf("%q: exit %d, stdout %q, stderr:\n%s", tc.args, code, out, errs)
		}
	}
}

// Operators type flags after the path.
func TestFlagsAfterPath(t *testing.T) {
	plog := realReplica(t, "log.1.0.handle_real_private_log")
	before, _, code1 := waltool(t, "dump", "--json", "--to-decree", "3", plog)
	after, errs, code2 := waltool(t, "dump", plog, "--json", "--to-decree", "3")
	if code1 != 0 || code2 != 0 || before != after || strings.Count(after, "\n") != 4 {
		t.Fatalf("exit %d/%d, stderr %q\nbefore:\n%s\nafter:\n%s", code1, code2, errs, before, after)
	}
	before, _, _ = waltool(t, "verify", "--json", plog)
	after, errs, code := waltool(t, "verify", plog, "--json")
	if code != 0 || before != after || !strings.HasPrefix(after, "{") {
		t.Fatalf("verify ROOT --json: exit %d, %s\n%s", code, errs, after)
	}
	// "--" ends the flags; a value that looks like a flag stays a value.
	if _, errs, code := waltool(t, "dump", "--max-bytes", "-1", plog); code != exitUsage || !strings.Contains(errs, "max-bytes") {
		t.Errorf("--max-bytes -1: exit %d, %s", code, errs)
	}
	if _, errs, code := waltool(t, "verify", "--", "--json"); code != exitUsage || !strings.Contains(errs, "--json") {
		t.Errorf("-- --json: exit %d, %s", code, errs)
	}
}

func TestNormalizeArgs(t *testing.T) {
	app := newApp(nil, nil)
	for _, tc := range []struct{ in, want string }{
		{"verify R --json", "verify --json R"},
		{"verify R1 --workers 3 R2 --progress=false", "verify --workers 3 --progress=false R1 R2"},
		{"dump -d P --gpid 1.4 --gpid 1.10", "dump -d --gpid 1.4 --gpid 1.10 P"},
		{"dump P -- -odd", "dump -- P -odd"},
		{"help fixtures gen", "fixtures gen --help"},
		{"fixtures gen --out D --seed 3", "fixtures gen --out D --seed 3"},
		{"bench verify P --runs 1 --json", "bench verify --runs 1 --json P"},
		{"replay R --emit 1.4 -d", "replay --emit 1.4 -d R"},
	} {
		got, err := clikit.NormalizeArgs(app, append([]string{"waltool"}, strings.Fields(tc.in)...))
		if err != nil || strings.Join(got[1:], " ") != tc.want {
			t.Errorf("%q: got %q, %v; want %q", tc.in, got[1:], err, tc.want)
		}
	}
}

// A flag that takes a value and has none is named, never fed the next
// argument: not the PATH after it, not the flag after it.
func TestFlagMissingValue(t *testing.T) {
	plog := realReplica(t, "log.1.0.handle_real_private_log")
	for _, args := range [][]string{
		{"verify", plog, "--slog-dir"},
		{"verify", "--slog-dir", "--json", plog},
		{"verify", "--slog-dir", "-h", plog},
		{"dump", plog, "--gpid"},
		{"gc", plog, "--trash", "--apply"},
		{"verify", plog, "--slog-dir", "--"},
	} {
		flag := ""
		for _, a := range args {
			if a == "--slog-dir" || a == "--gpid" || a == "--trash" {
				flag = a
			}
		}
		out, errs, code := waltool(t, args...)
		if slices.Contains(args, "--json") {
			out = "" // the contract's error document
		}
		if code != exitUsage || out != "" || !strings.Contains(errs, flag+" needs a value") || strings.Contains(errs, "PATH") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	// A value that looks like a flag but is none of the command's stays a value.
	if _, errs, code := waltool(t, "dump", "--max-bytes", "-1", plog); code != exitUsage || !strings.Contains(errs, "max-bytes") || strings.Contains(errs, "needs a value") {
		t.Errorf("--max-bytes -1: exit %d, %s", code, errs)
	}
}

// Help is wrapped for an 80-column terminal.
func TestHelpFitsEightyColumns(t *testing.T) {
	var paths [][]string
	var walk func(prefix []string, cmds []*cli.Command)
	walk = func(prefix []string, cmds []*cli.Command) {
		for _, c := range cmds {
			p := append(append([]string{}, prefix...), c.Name)
			paths = append(paths, p)
			walk(p, c.Subcommands)
		}
	}
	walk(nil, newApp(nil, nil).Commands)
	paths = append(paths, []string{})
	for _, p := range paths {
		out, _, code := waltool(t, append(p, "--help")...)
		if code != 0 {
			t.Errorf("%q --help: exit %d", p, code)
		}
		for _, l := range strings.Split(out, "\n") {
			if n := utf8.RuneCountInString(l); n > clikit.HelpWidth {
				t.Errorf("waltool %s --help: %d columns: %s", strings.Join(p, " "), n, l)
			}
		}
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "436": 436, "1K": 1024, "1k": 1024, "2KiB": 2048, "64MiB": 64 << 20, "64M": 64 << 20, "1G": 1 << 30, "3 GiB": 3 << 30, "1T": 1 << 40, "7B": 7} {
		if got, err := clikit.ParseSize(in); err != nil || got != want {
			t.Errorf("%q: %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1KB", "1MB", "x", "1.5M", "1Q", "99999999999T"} {
		if n, err := clikit.ParseSize(in); err == nil {
			t.Errorf("%q: accepted as %d", in, n)
		}
	}
}

func TestPlural(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		noun string
		want string
	}{{1, "file", "1 file"}, {0, "file", "0 files"}, {2, "decree", "2 decrees"}, {1, "replica", "1 replica"}, {3, "entry", "3 entries"}} {
		if got := iec.Plural(tc.n, tc.noun); got != tc.want {
			t.Errorf("%d %s: %q", tc.n, tc.noun, got)
		}
	}
}

// Filters that can match nothing are mistakes: one line, exit 2.
func TestDumpRejectsEmptyFilters(t *testing.T) {
	plog := realReplica(t, "log.1.0.handle_real_private_log")
	for _, args := range [][]string{
		{"--from-decree", "100", "--to-decree", "5"},
		{"--max-bytes", "-1"},
		{"--gpid", "-1.0"},
		{"--gpid", "1.-2"},
		{"--gpid", "x"},
		{"--to-decree", "-3"},
		{"--max-bytes", "1KB"},
	} {
		out, errs, code := waltool(t, append(append([]string{"dump"}, args...), plog)...)
		if code != exitUsage || out != "" || strings.Count(errs, "\n") != 2 || !strings.HasPrefix(errs, "waltool dump: ") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	// Sizes with units: the first block (60..436) holds decrees 1-3.
	out, _, code := waltool(t, "dump", plog, "--max-bytes", "1K")
	if n := strings.Count(out, "\n"); code != 0 || n <= 3 {
		t.Errorf("--max-bytes 1K: exit %d, %d lines", code, n)
	}
}

// --emit prints the recovered stream as dump does, with each mutation's
// file and offsets, decoded with -d, as JSON Lines with --json.
func TestReplayEmit(t *testing.T) {
	m := genRoot(t, "")
	g := ""
	for _, r := range m.Replicas {
		if r.SlogOnlyMutations > 0 && (g == "" || r.SlogOnlyMutations > m.Replica(mustGpid(t, g)).SlogOnlyMutations) {
			g = r.Gpid.String()
		}
	}
	if g == "" {
		t.Fatal("no replica with a slog-only tail in the fixture")
	}
	out, errs, code := waltool(t, "replay", m.Root, "--data-dirs", m.DataDirs, "--emit", g, "--json", "-d")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 10 {
		t.Fatalf("%d lines", len(lines))
	}
	slogLines := 0
	if !strings.Contains(lines[len(lines)-1], `"record":"end"`) {
		t.Fatalf("the stream does not end with its end line: %s", lines[len(lines)-1])
	}
	for _, l := range lines[:len(lines)-1] {
		var r struct {
			Path        string `json:"path"`
			BlockOffset int64  `json:"block_offset"`
			FileOffset  int64  `json:"file_offset"`
			LogOffset   int64  `json:"log_offset"`
			Gpid        string `json:"gpid"`
			Committed   *bool  `json:"committed"`
			Updates     []struct {
				Request json.RawMessage `json:"request"`
			} `json:"updates"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		if r.Path == "" || r.FileOffset == 0 || r.BlockOffset == 0 || r.FileOffset < r.BlockOffset || r.Gpid != g || r.Committed == nil || len(r.Updates) == 0 || r.Updates[0].Request == nil {
			t.Fatalf("%s", l)
		}
		// log_offset is the file's start offset (in its name) plus file_offset.
		if name := filepath.Base(r.Path); !strings.HasSuffix(name, "."+strconv.FormatInt(r.LogOffset-r.FileOffset, 10)) {
			t.Fatalf("offset %d-%d does not match %s", r.LogOffset, r.FileOffset, name)
		}
		if strings.Contains(r.Path, filepath.Join("replica", "slog")) {
			slogLines++
		}
	}
	if slogLines == 0 {
		t.Errorf("no mutation recovered from the slog: the fixture's plogs lag behind it")
	}
	// Text: mlog_dump lines, decoded with -d.
	out, _, code = waltool(t, "replay", m.Root, "--data-dirs", m.DataDirs, "--emit", g, "-d")
	if code != 0 || !strings.HasPrefix(out, "mutation ["+g+".") || !strings.Contains(out, "\n  [") {
		t.Fatalf("text: exit %d\n%.500s", code, out)
	}
	// An unknown replica is a usage error.
	out, errs, code = waltool(t, "replay", m.Root, "--data-dirs", m.DataDirs, "--emit", "9.9")
	if code != exitUsage || out != "" || !strings.Contains(errs, "no replica dir of 9.9") {
		t.Fatalf("--emit 9.9: exit %d, %q, %q", code, out, errs)
	}
	if _, errs, code := waltool(t, "replay", m.Root, "-d"); code != exitUsage {
		t.Errorf("-d without --emit: exit %d, %s", code, errs)
	}
}

func TestReplayServerVersionWithPatch(t *testing.T) {
	m := genRoot(t, "")
	a, _, code1 := waltool(t, "replay", "--json", "--data-dirs", m.DataDirs, "--server-version", "2.6.0", m.Root)
	b, _, code2 := waltool(t, "replay", "--json", "--data-dirs", m.DataDirs, "--server-version", "2.6", m.Root)
	if code1 != code2 || a != b || !strings.Contains(a, `"server_version": "2.6"`) {
		t.Fatalf("exit %d/%d\n%.300s", code1, code2, a)
	}
	if _, errs, code := waltool(t, "replay", "--server-version", "2.7", m.Root); code != exitUsage || strings.Count(errs, "\n") != 2 {
		t.Fatalf("2.7: exit %d: %s", code, errs)
	}
}

func mustGpid(t *testing.T, s string) gpid.Gpid {
	g, err := gpid.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// One JSON vocabulary: lists are [] not null, a path is "path", fields
// that do not apply are omitted (no "error": "" or "error_offset": -1),
// gpids sort numerically.
func TestJSONShapes(t *testing.T) {
	out := filepath.Join(t.TempDir(), "root")
	if _, errs, code := waltool(t, "fixtures", "gen", "--out", out, "--apps", "1", "--replicas", "11", "--mutations", "800", "--disks", "2"); code != 0 {
		t.Fatal(errs)
	}
	m, err := fixtures.ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	v, _, code := waltool(t, "verify", "--json", "--data-dirs", m.DataDirs, out)
	if code != 0 {
		t.Fatalf("verify: exit %d", code)
	}
	for _, bad := range []string{"null", `"error": ""`, `"error_offset": -1`, `"dir":`, `"file":`} {
		if strings.Contains(v, bad) {
			t.Errorf("verify JSON holds %s", bad)
		}
	}
	var vr schema.Verify
	if err := json.Unmarshal([]byte(v), &vr); err != nil {
		t.Fatal(err)
	}
	slogs := 0
	for _, d := range vr.Dirs {
		if d.Log != "slog" {
			continue
		}
		var gs []string
		for _, g := range d.Gpids {
			gs = append(gs, g.Gpid)
		}
		if strings.Join(gs, " ") != "1.0 1.1 1.2 1.3 1.4 1.5 1.6 1.7 1.8 1.9 1.10" {
			t.Errorf("slog gpids in order %v", gs)
		}
		slogs++
	}
	if slogs != 1 {
		t.Errorf("%d slog dirs", slogs)
	}
	r, _, _ := waltool(t, "replay", "--json", "--data-dirs", m.DataDirs, out)
	for _, bad := range []string{"null", `"dir":`, `"file":`, `"error": ""`} {
		if strings.Contains(r, bad) {
			t.Errorf("replay JSON holds %s", bad)
		}
	}
	var rr struct {
		Replicas []struct{ Gpid, Path string }
		Slog     struct{ Path string }
	}
	if err := json.Unmarshal([]byte(r), &rr); err != nil {
		t.Fatal(err)
	}
	if len(rr.Replicas) != 11 || rr.Replicas[2].Gpid != "1.2" || rr.Replicas[10].Gpid != "1.10" || rr.Replicas[0].Path == "" || rr.Slog.Path == "" {
		t.Errorf("replay replicas %+v, slog %+v", rr.Replicas, rr.Slog)
	}
}

// Human output: plurals agree with counts, a reason is said once.
func TestHumanOutputWording(t *testing.T) {
	plog := realReplica(t, "log.1.0.handle_real_private_log")
	out, _, _ := waltool(t, "verify", plog)
	if !strings.Contains(out, ": ok, 1 file, ") || strings.Contains(out, "1 files") {
		t.Errorf("verify:\n%s", out)
	}
	m := genRoot(t, "")
	// A replica without .init-info is not loaded; its slog mutations are orphans.
	rep := m.Replicas[0]
	if err := os.Remove(filepath.Join(rep.Dir, ".init-info")); err != nil {
		t.Fatal(err)
	}
	out, _, _ = waltool(t, "replay", "--data-dirs", m.DataDirs, m.Root)
	if strings.Contains(out, "not loaded: not loaded") || !strings.Contains(out, "ERROR: not loaded: ") || !strings.Contains(out, "dropped: replica not loaded: ") {
		t.Errorf("replay:\n%s", out)
	}
	if strings.Contains(out, " 1 decrees") || strings.Contains(out, " 1 files") || strings.Contains(out, " 1 mutations") {
		t.Errorf("plural of 1:\n%s", out)
	}
}

// The progress callbacks behind dump's and replay's bars account for
// every byte of the input.
func TestProgressCountsEveryByte(t *testing.T) {
	m := genRoot(t, "")
	tg, err := dataroot.Resolve(readOnlyFS, m.Root, dataroot.Options{Server: dataroot.Flags("", m.DataDirs)})
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, f := range tg.Files() {
		total += f.Size
	}
	var dumped atomic.Int64
	if _, err := dump.Files(tg.Files(), dump.Options{Out: io.Discard, Err: io.Discard, Progress: func(n int64) { dumped.Add(n) }}); err != nil {
		t.Fatal(err)
	}
	var replayed atomic.Int64
	if _, err := replay.Run(tg.Root, replay.Options{Progress: func(n int64) { replayed.Add(n) }}); err != nil {
		t.Fatal(err)
	}
	if dumped.Load() != total || replayed.Load() != total {
		t.Fatalf("dump reported %d, replay %d bytes of %d", dumped.Load(), replayed.Load(), total)
	}
}
