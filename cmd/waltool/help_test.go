package main

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/internal/clikit"
)

// commandPath is a command under waltool ("migrate downgrade"), nil being
// waltool itself.
type commandPath struct {
	args []string
	cmd  *cli.Command
}

func everyCommand() []commandPath {
	out := []commandPath{{}}
	var walk func(prefix []string, cmds []*cli.Command)
	walk = func(prefix []string, cmds []*cli.Command) {
		for _, c := range cmds {
			p := append(append([]string{}, prefix...), c.Name)
			out = append(out, commandPath{p, c})
			walk(p, c.Subcommands)
		}
	}
	walk(nil, newApp(nil, nil).Commands)
	return out
}

var (
	optionEntry = regexp.MustCompile(`^   (-\S*(?: \S+)*?)( {2,})\S`)
	exampleLine = regexp.MustCompile(`^   waltool `)
)

// Every command's help: a description, one default said once and never
// "(default: false)", no backtick (urfave/cli would make the word in it
// the value's placeholder), usages in one aligned column, and examples
// whose flags are the command's own.
func TestHelpOfEveryCommand(t *testing.T) {
	for _, p := range everyCommand() {
		name := "waltool " + strings.Join(p.args, " ")
		out, errs, code := waltool(t, append(p.args, "--help")...)
		if code != 0 || errs != "" || !strings.Contains(out, "USAGE:") {
			t.Errorf("%s --help: exit %d, stderr %q", name, code, errs)
			continue
		}
		for _, bad := range []string{"(default: false)", "`", "help, h "} {
			if strings.Contains(out, bad) {
				t.Errorf("%s --help holds %q:\n%s", name, bad, out)
			}
		}
		if !strings.Contains(out, "\nDESCRIPTION:\n") {
			t.Errorf("%s --help: no description", name)
		}
		checkOptions(t, name, helpSection(out, "OPTIONS"))
		checkExamples(t, name, helpSection(out, "EXAMPLES"))
	}
	out, _, _ := waltool(t, "--help")
	if !strings.Contains(out, "docs/runbook-upgrade.md") {
		t.Errorf("waltool --help does not name the upgrade runbook:\n%s", out)
	}
}

// helpSection returns the lines of a help section, up to the blank line.
func helpSection(help, title string) []string {
	_, after, ok := strings.Cut(help, "\n"+title+":\n")
	if !ok {
		return nil
	}
	body, _, _ := strings.Cut(after, "\n\n")
	return strings.Split(body, "\n")
}

// checkOptions: each flag says its default at most once, and every usage
// line starts in the one column of the table.
func checkOptions(t *testing.T, name string, lines []string) {
	t.Helper()
	col := -1
	var entry string
	flush := func() {
		if strings.Count(entry, "(default:") > 1 {
			t.Errorf("%s --help: two defaults: %s", name, entry)
		}
	}
	for _, l := range lines {
		if m := optionEntry.FindStringSubmatchIndex(l); m != nil {
			flush()
			entry = l
			if col >= 0 && m[5] != col {
				t.Errorf("%s --help: usage at column %d, not %d: %q", name, m[5], col, l)
			}
			col = m[5]
			continue
		}
		if strings.HasPrefix(l, "   -") {
			flush()
			entry = l // a name too long for the column: its usage is below
			continue
		}
		entry += " " + strings.TrimSpace(l)
		if lead := len(l) - len(strings.TrimLeft(l, " ")); col >= 0 && lead != col {
			t.Errorf("%s --help: a usage line at column %d, not %d: %q", name, lead, col, l)
		}
	}
	flush()
}

// checkExamples: at least one, each a waltool command line using only the
// flags of the command it runs.
func checkExamples(t *testing.T, name string, lines []string) {
	t.Helper()
	if len(lines) == 0 {
		t.Errorf("%s --help: no example", name)
	}
	for _, l := range lines {
		if !exampleLine.MatchString(l) {
			t.Errorf("%s --help: example %q is no waltool command", name, l)
			continue
		}
		args := strings.Fields(l)[1:]
		if i := slices.IndexFunc(args, func(a string) bool { return strings.ContainsAny(a[:1], "|<>") }); i >= 0 {
			args = args[:i] // the shell's: a pipe, a redirection
		}
		cmd := exampleCommand(args)
		flags := []cli.Flag{cli.HelpFlag}
		if cmd != nil {
			flags = append(flags, cmd.Flags...)
		}
		known := clikit.FlagArity(flags)
		for _, a := range args {
			if strings.HasPrefix(a, "-") && !clikit.IsFlag(known, a) {
				t.Errorf("%s --help: example %q: %s is not a flag of the command it runs", name, l, a)
			}
		}
	}
}

// exampleCommand is the command an example's arguments run ("help X" is
// waltool's own).
func exampleCommand(args []string) *cli.Command {
	var cmd *cli.Command
	cmds := newApp(nil, nil).Commands
	for _, a := range args {
		i := slices.IndexFunc(cmds, func(c *cli.Command) bool { return c.HasName(a) })
		if i < 0 {
			break
		}
		cmd, cmds = cmds[i], cmds[i].Subcommands
	}
	return cmd
}

// waltool and a command that only groups others, run bare: the help on
// stderr, exit 2.
func TestBareCommandIsAUsageError(t *testing.T) {
	for _, args := range [][]string{{}, {"migrate"}, {"fixtures"}, {"bench"}} {
		out, errs, code := waltool(t, args...)
		if code != exitUsage || out != "" || !strings.Contains(errs, "USAGE:") || !strings.Contains(errs, "COMMANDS:") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
}
