package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/urfave/cli/v2"
)

// helpWidth is the width the help text is wrapped to: an 80-column terminal.
const helpWidth = 80

// The help is waltool's own layout, not urfave/cli's templates: those print
// "(default: false)" on every boolean, a second "(default: ...)" after a
// usage that says its default, take a word in backticks for the value's
// placeholder, and wrap flag usages back to the left margin.
func init() {
	cli.HelpPrinter = func(w io.Writer, _ string, data any) {
		switch d := data.(type) {
		case *cli.App:
			appHelp(w, d)
		case *cli.Command:
			commandHelp(w, d)
		}
	}
}

const indent = "   "

func appHelp(w io.Writer, app *cli.App) {
	section(w, "NAME", app.Name+" - "+app.Usage)
	section(w, "USAGE", app.Name+" COMMAND [options] [PATH...]")
	if app.Version != "" {
		section(w, "VERSION", app.Version)
	}
	section(w, "DESCRIPTION", app.Description)
	commandList(w, app.Commands)
	flagList(w, app.VisibleFlags())
	exampleList(w, examples[""])
}

func commandHelp(w io.Writer, cmd *cli.Command) {
	name := fullName(cmd)
	section(w, "NAME", "waltool "+name+" - "+cmd.Usage)
	usage := "waltool " + name
	if len(visibleCommands(cmd.Subcommands)) > 0 {
		usage += " COMMAND"
	}
	if len(cmd.VisibleFlags()) > 1 {
		usage += " [options]"
	}
	if cmd.ArgsUsage != "" {
		usage += " " + cmd.ArgsUsage
	}
	section(w, "USAGE", usage)
	section(w, "DESCRIPTION", cmd.Description)
	commandList(w, cmd.Subcommands)
	flagList(w, cmd.VisibleFlags())
	exampleList(w, examples[name])
}

// fullName is a command's name under waltool: "migrate downgrade".
func fullName(cmd *cli.Command) string {
	return strings.TrimSpace(strings.TrimPrefix(cmd.HelpName, "waltool"))
}

func section(w io.Writer, title, text string) {
	if text == "" {
		return
	}
	fmt.Fprintf(w, "%s:\n", title)
	for _, l := range strings.Split(text, "\n") {
		if utf8.RuneCountInString(indent+l) <= helpWidth {
			fmt.Fprintf(w, "%s%s\n", indent, l) // laid out already: a table keeps its columns
			continue
		}
		lead := len(l) - len(strings.TrimLeft(l, " "))
		for _, wl := range wrap(l[lead:], helpWidth-len(indent)-lead) {
			fmt.Fprintf(w, "%s%s%s\n", indent, strings.Repeat(" ", lead), wl)
		}
	}
	fmt.Fprintln(w)
}

func visibleCommands(cmds []*cli.Command) []*cli.Command {
	var out []*cli.Command
	for _, c := range cmds {
		if !c.Hidden && c.Name != "help" {
			out = append(out, c)
		}
	}
	return out
}

func commandList(w io.Writer, cmds []*cli.Command) {
	var rows [][2]string
	for _, c := range visibleCommands(cmds) {
		rows = append(rows, [2]string{strings.Join(c.Names(), ", "), c.Usage})
	}
	table(w, "COMMANDS", rows)
}

func flagList(w io.Writer, flags []cli.Flag) {
	var rows [][2]string
	for _, f := range flags {
		rows = append(rows, [2]string{flagNames(f), flagHelp(f)})
	}
	table(w, "OPTIONS", rows)
}

// table prints rows of a name and its text, the texts aligned in one
// column and wrapped inside it; a name too long for the column puts its
// text on the next line.
func table(w io.Writer, title string, rows [][2]string) {
	if len(rows) == 0 {
		return
	}
	const maxCol = 28
	col := 0
	for _, r := range rows {
		if n := utf8.RuneCountInString(r[0]); n <= maxCol {
			col = max(col, n)
		}
	}
	col += 2
	fmt.Fprintf(w, "%s:\n", title)
	for _, r := range rows {
		lines := wrap(r[1], helpWidth-len(indent)-col)
		pad := col - utf8.RuneCountInString(r[0])
		if pad < 2 {
			fmt.Fprintf(w, "%s%s\n", indent, r[0])
			pad = col + len(indent)
		} else {
			fmt.Fprintf(w, "%s%s%s%s\n", indent, r[0], strings.Repeat(" ", pad), first(lines))
			lines, pad = rest(lines), col+len(indent)
		}
		for _, l := range lines {
			fmt.Fprintf(w, "%s%s\n", strings.Repeat(" ", pad), l)
		}
	}
	fmt.Fprintln(w)
}

func first(l []string) string {
	if len(l) == 0 {
		return ""
	}
	return l[0]
}

func rest(l []string) []string {
	if len(l) == 0 {
		return nil
	}
	return l[1:]
}

func exampleList(w io.Writer, ex []string) {
	if len(ex) == 0 {
		return
	}
	fmt.Fprintln(w, "EXAMPLES:")
	for _, e := range ex {
		fmt.Fprintf(w, "%s%s\n", indent, e)
	}
	fmt.Fprintln(w)
}

// wrap breaks text into lines of at most width runes, at spaces (a word
// longer than width gets a line of its own).
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		switch {
		case line == "":
			line = word
		case utf8.RuneCountInString(line)+1+utf8.RuneCountInString(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// flagNames is "--name PLACEHOLDER, -a": the long name with what the flag
// takes, then its aliases.
func flagNames(f cli.Flag) string {
	names := f.Names()
	s := dashed(names[0])
	if p := placeholder(f); p != "" {
		s += " " + p
	}
	for _, a := range names[1:] {
		s += ", " + dashed(a)
	}
	return s
}

// placeholders name what a flag takes, where its type does not say it.
var placeholders = map[string]string{
	"config": "FILE", "cargs": "'K=V;...'", "slog-dir": "DIR", "data-dirs": "LIST", "durable-decrees": "FILE",
	"server-version": "VERSION", "to": "VERSION", "emit": "GPID", "gpid": "GPID", "log": "slog|plog|all",
	"rule": "2.4|2.5", "now": "TIME", "dup-confirmed": "GPID=DECREE", "trash": "DIR", "slog-archive": "DIR",
	"out": "DIR", "corrupt": "KIND", "dirs": "DIRS", "sync": "none|batch", "modes": "MODES",
	"flush": "syncfs|fdatasync", "etcd-bin": "FILE", "server-address": "IP[:PORT]",
}

func placeholder(f cli.Flag) string {
	if p, ok := placeholders[f.Names()[0]]; ok {
		return p
	}
	switch f.(type) {
	case *cli.BoolFlag:
		return ""
	case *cli.IntFlag, *cli.Int64Flag:
		return "N"
	case *cli.DurationFlag:
		return "DURATION"
	case *cli.GenericFlag:
		return "SIZE"
	}
	return "VALUE"
}

// flagHelp is a flag's usage and its default, said once: a usage that
// names its default keeps its own words, a boolean says only "true", and
// zero values ("", 0) are no default worth saying.
func flagHelp(f cli.Flag) string {
	d, ok := f.(cli.DocGenerationFlag)
	if !ok {
		return ""
	}
	u := d.GetUsage()
	if strings.Contains(u, "default:") {
		return u
	}
	def := d.GetDefaultText()
	if q, err := strconv.Unquote(def); err == nil {
		def = q // a string flag's default comes quoted
	}
	if b, ok := f.(*cli.BoolFlag); ok && !b.Value {
		def = ""
	}
	if slices.Contains([]string{"", "0", "[]", "0s"}, def) {
		return u
	}
	return fmt.Sprintf("%s (default: %s)", u, def)
}

// examples are each command's EXAMPLES, by its name under waltool ("" is
// waltool itself): real command lines an operator can start from.
var examples = map[string][]string{
	"": {
		"waltool verify --config /etc/pegasus/config.ini",
		"waltool help migrate upgrade",
	},
	"dump": {
		"waltool dump -d /data/pegasus/replica/reps/1.4.pegasus/plog/log.2.0",
		"waltool dump --json --gpid 1.4 --from-decree 100 /data/pegasus",
	},
	"verify": {
		"waltool verify --config /etc/pegasus/config.ini",
		"waltool verify --json /data/pegasus/replica/reps/1.4.pegasus",
	},
	"replay": {
		"waltool replay --server-version 2.6 --config /etc/pegasus/config.ini",
		"waltool replay /data/pegasus --emit 1.4 -d",
	},
	"gc": {
		"waltool gc --rule 2.5 --check --server-address 10.0.0.5 --config config.ini",
		"waltool gc --log all --apply --trash /data/gc-trash --config config.ini",
	},
	"migrate": {
		"waltool migrate upgrade --config /etc/pegasus/config.ini",
		"waltool migrate status /data/pegasus",
	},
	"migrate upgrade": {
		"waltool migrate upgrade --config /etc/pegasus/config.ini",
		"waltool migrate upgrade --config /etc/pegasus/config.ini --apply",
	},
	"migrate downgrade": {
		"waltool migrate downgrade --to 2.5 --config /etc/pegasus/config.ini",
		"waltool migrate downgrade --to 2.3 --apply --config config.ini",
	},
	"migrate resume":   {"waltool migrate resume --config /etc/pegasus/config.ini"},
	"migrate rollback": {"waltool migrate rollback --config /etc/pegasus/config.ini"},
	"migrate status":   {"waltool migrate status --json /data/pegasus"},
	"fixtures":         {"waltool fixtures gen --out /tmp/sample"},
	"fixtures gen": {
		"waltool fixtures gen --out /tmp/sample --mutations 100000 --disks 2",
		"waltool fixtures gen --out /tmp/damaged --corrupt bitflip",
	},
	"demo":          {"waltool demo", "waltool demo --keep"},
	"bench":         {"waltool bench verify /data/pegasus"},
	"bench verify":  {"waltool bench verify --runs 5 /data/pegasus"},
	"bench ceiling": {"waltool bench ceiling --json /data/pegasus"},
	"bench replay":  {"waltool bench replay --server-version 2.4 /data/pegasus"},
	"schema": {
		"waltool schema migrate upgrade > migrate-upgrade.schema.json",
		"waltool schema vocabulary | jq -r '.keys | keys[]'",
	},
	"completion":      {"waltool completion bash > /etc/bash_completion.d/waltool"},
	"completion bash": {"waltool completion bash > /etc/bash_completion.d/waltool"},
	"completion zsh":  {"waltool completion zsh > /usr/local/share/zsh/site-functions/_waltool"},
	"completion fish": {"waltool completion fish > ~/.config/fish/completions/waltool.fish"},
	"man":             {"waltool man > /usr/local/share/man/man1/waltool.1", "waltool man | man -l -"},
	"bench write": {
		"waltool bench write --dirs /ssd0/tmp,/ssd1/tmp --duration 30s",
		"waltool bench write --modes plog-parallel,raw-rounds --sync none",
	},
}

// needCommand is the Action of waltool and of the commands that only group
// others (migrate, fixtures, bench): run without a command, it prints the
// help on stderr and fails as a usage error (exit 2), since it did nothing.
func needCommand(c *cli.Context) error {
	if c.Command != nil && c.Command.Name != "" && c.Command.Name != c.App.Name {
		commandHelp(c.App.ErrWriter, c.Command)
	} else {
		appHelp(c.App.ErrWriter, c.App)
	}
	return &usageError{msg: "which command? (they are listed above)", help: helpName(c), helpShown: true}
}
