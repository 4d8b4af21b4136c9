package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waltool/waltool/internal/clikit"
)

// completionCases are command lines typed up to the cursor and the
// candidates waltool offers there ("" for none: the shell completes file
// names). Flags after PATH work, as clikit.NormalizeArgs allows them.
var completionCases = []struct{ line, want string }{
	{"waltool ", "dump verify replay gc migrate fixtures demo bench schema completion"},
	{"waltool mig", "dump verify replay gc migrate fixtures demo bench schema completion"},
	{"waltool migrate ", "upgrade downgrade resume rollback status"},
	{"waltool bench ", "verify ceiling replay write"},
	{"waltool fixtures ", "gen"},
	{"waltool completion ", "bash zsh fish"},
	{"waltool help migrate ", "upgrade downgrade resume rollback status"},
	{"waltool --version ", "dump verify replay gc migrate fixtures demo bench schema completion"},
	{"waltool gc --", "--help --log --rule --server-version --now --log-private-reserve-max-size-mb --log-private-reserve-max-time-seconds --log-shared-file-count-limit --log-shared-gc-flush-replicas-limit --dup-confirmed --durable-decrees --server-address --check --json --apply --trash --force --config --cargs --slog-dir --data-dirs --no-slog"},
	{"waltool migrate status /data --", "--help --json --config --cargs --slog-dir --data-dirs --no-slog"},
	{"waltool bench verify --", "--help --runs --json --config --cargs --slog-dir --data-dirs --no-slog"},
	{"waltool verify /data/a --json -", "--help -h --workers --progress --config --cargs --slog-dir --data-dirs --no-slog"},
	{"waltool dump -d /x.log --gpid 1.4 --from-decree 3 /y.log --", "--help --json --gpid --to-decree --max-bytes --progress --config --cargs --slog-dir --data-dirs --no-slog"},
	{"waltool verify ", ""},
	{"waltool verify /data ", ""},
	{"waltool verify --config ", ""},
	{"waltool verify --config=/etc/c.ini ", ""},
	{"waltool dump --progress=", ""},
	{"waltool migrate upgrade ", ""},
	{"waltool migrate nope ", ""},
	{"waltool dump -- -", ""},
}

func TestComplete(t *testing.T) {
	app := newApp(nil, nil)
	for _, tc := range completionCases {
		words := strings.Split(tc.line, " ")[1:]
		var out strings.Builder
		clikit.Complete(app, words, "", &out)
		if got := shellFiltered(tc.line, out.String()); got != shellFiltered(tc.line, tc.want) {
			t.Errorf("%q: %q, want %q", tc.line, got, shellFiltered(tc.line, tc.want))
		}
	}
	// zsh and fish also get each candidate's usage.
	var out strings.Builder
	clikit.Complete(app, []string{"migrate", ""}, "zsh", &out)
	if !strings.Contains(out.String(), "\nstatus:every migration run of the root, oldest first: how each stands, whether it can still be rolled back\n") {
		t.Errorf("zsh:\n%s", out.String())
	}
	out.Reset()
	clikit.Complete(app, []string{"verify", "--js"}, "fish", &out)
	if !strings.Contains(out.String(), "\n--json\tprint one JSON document\n") {
		t.Errorf("fish:\n%s", out.String())
	}
}

// shellFiltered is what the shell keeps of candidates: those starting with
// the word under the cursor.
func shellFiltered(line, candidates string) string {
	cur := line[strings.LastIndex(line, " ")+1:]
	var kept []string
	for _, c := range strings.Fields(candidates) {
		if strings.HasPrefix(c, cur) {
			kept = append(kept, c)
		}
	}
	return strings.Join(kept, " ")
}

// A completion request never runs a command, whatever the line holds.
func TestCompletionRunsNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	out, errs, code := waltool(t, "fixtures", "gen", "--out", dir, "", clikit.CompleteFlag)
	if code != 0 || out != "" || errs != "" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("fixtures gen ran: %v", err)
	}
}

func TestCompletionCommand(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		out, errs, code := waltool(t, "completion", shell)
		if code != 0 || errs != "" || !strings.Contains(out, clikit.CompleteFlag) || !strings.Contains(out, "waltool") {
			t.Errorf("%s: exit %d, stderr %q\n%s", shell, code, errs, out)
		}
	}
	// No shell named is a usage error, not the help on stdout (it would end
	// up in the file the script is redirected to).
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "extra"}} {
		out, errs, code := waltool(t, args...)
		if code != exitUsage || out != "" || !strings.Contains(errs, "Run 'waltool completion") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	help, _, _ := waltool(t, "completion", "--help")
	for _, want := range []string{"/etc/bash_completion.d/waltool", "source <(waltool completion bash)", "_waltool", "source <(waltool completion zsh)", "fish/completions/waltool.fish"} {
		if !strings.Contains(help, want) {
			t.Errorf("completion --help does not say %q:\n%s", want, help)
		}
	}
}

// waltoolOnPath puts a waltool on a fresh PATH for the shells to run: this
// test binary, which TestMain runs as waltool. It returns the environment.
func waltoolOnPath(t *testing.T) []string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	wrapper := "#!/bin/sh\nWALTOOL_MAIN=1 exec '" + self + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "waltool"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	return append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+dir)
}

// shellOutput runs script in shell with waltool on its PATH and returns
// the lines it printed.
func shellOutput(t *testing.T, env []string, shell string, args ...string) []string {
	t.Helper()
	cmd := exec.Command(shell, args...)
	cmd.Env = env
	cmd.Dir = t.TempDir() // no file names to complete
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("%s: %v\n%s\n%s", shell, err, out, stderr)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
}

// The bash script, installed as the help says, completes what waltool
// offers.
func TestBashCompletionScript(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	// c LINE: what bash offers with the cursor at the end of LINE.
	script := `source <(waltool completion bash) || exit 1
complete -p waltool >/dev/null || exit 1
c() {
	COMP_LINE=$1 COMP_POINT=${#1}
	read -r -a COMP_WORDS <<<"$1"
	[[ $1 == *" " ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_waltool
	echo "${COMPREPLY[*]}"
}
`
	for _, tc := range completionCases {
		script += "c '" + tc.line + "'\n"
	}
	got := shellOutput(t, waltoolOnPath(t), bash, "--norc", "--noprofile", "-c", script)
	if len(got) != len(completionCases) {
		t.Fatalf("%d lines for %d cases:\n%s", len(got), len(completionCases), strings.Join(got, "\n"))
	}
	for i, tc := range completionCases {
		if want := shellFiltered(tc.line, tc.want); got[i] != want {
			t.Errorf("%q: bash offers %q, want %q", tc.line, got[i], want)
		}
	}
}

// The zsh script passes the words to waltool and the candidates, with their
// descriptions, to _describe (or _files when there are none). Run with
// zsh's completion functions stubbed: no terminal needed.
func TestZshCompletionScript(t *testing.T) {
	script, _, _ := waltool(t, "completion", "zsh")
	if !strings.HasPrefix(script, "#compdef waltool\n") || !strings.Contains(script, "WALTOOL_COMPLETE=zsh") {
		t.Fatalf("not a zsh completion function:\n%s", script)
	}
	zsh, err := exec.LookPath("zsh")
	if err != nil {
		t.Skip("no zsh")
	}
	test := `compdef() { [[ $1 == _waltool && $2 == waltool ]] || print "compdef $*"; }
_describe() { print -r -- "${(j: | :)${(@P)4}}"; }
_files() { print files; }
source <(waltool completion zsh) || exit 1
c() {
	words=("${(@s: :)1}")
	CURRENT=${#words}
	_waltool
}
c 'waltool '
c 'waltool migrate '
c 'waltool verify /data --js'
c 'waltool verify --config '
`
	got := shellOutput(t, waltoolOnPath(t), zsh, "-f", "-c", test)
	want := []string{
		"dump:print the mutations of log files",
		"upgrade:fold the slog into new plog files and archive it",
		"--help:show help | --json:print one JSON document |",
		"files",
	}
	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w) {
			t.Errorf("line %d: %q, want it to start with %q", i, got[i], w)
		}
	}
	if !strings.Contains(got[0], " | completion:") || !strings.Contains(got[1], " | status:") {
		t.Errorf("commands missing:\n%s", strings.Join(got, "\n"))
	}
}

// fish completes a command line itself with complete -C.
func TestFishCompletionScript(t *testing.T) {
	script, _, _ := waltool(t, "completion", "fish")
	if !strings.Contains(script, "complete -c waltool") || !strings.Contains(script, "WALTOOL_COMPLETE=fish") {
		t.Fatalf("not a fish completion:\n%s", script)
	}
	fish, err := exec.LookPath("fish")
	if err != nil {
		t.Skip("no fish")
	}
	test := `waltool completion fish | source; or exit 1
for line in 'waltool ' 'waltool migrate ' 'waltool bench verify /d --r'
	echo "[$line]"
	complete -C"$line"
end`
	got := strings.Join(shellOutput(t, waltoolOnPath(t), fish, "--no-config", "-c", test), "\n")
	for _, want := range []string{
		"[waltool ]\n", "dump\tprint the mutations of log files", "completion\tprint a shell completion script",
		"[waltool migrate ]\n", "downgrade\tmake a plog-only root safe", "status\tevery migration run of the root, oldest first",
		"[waltool bench verify /d --r]\n--runs\truns of each measurement",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("fish does not offer %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "--workers") {
		t.Errorf("bench verify offered verify's flags:\n%s", got)
	}
}
