package clikit

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/urfave/cli/v2"
)

// HelpWidth is the width the help text is wrapped to: an 80-column terminal.
const HelpWidth = 80

// The help is waltool's own layout, not urfave/cli's templates: those print
// "(default: false)" on every boolean, a second "(default: ...)" after a
// usage that says its default, take a word in backticks for the value's
// placeholder, and wrap flag usages back to the left margin.
func init() {
	cli.HelpPrinter = func(w io.Writer, _ string, data any) {
		switch d := data.(type) {
		case *cli.App:
			AppHelp(w, d)
		case *cli.Command:
			CommandHelp(w, d)
		}
	}
}

const indent = "   "

func AppHelp(w io.Writer, app *cli.App) {
	section(w, "NAME", app.Name+" - "+app.Usage)
	section(w, "USAGE", app.Name+" COMMAND [options] [PATH...]")
	if app.Version != "" {
		section(w, "VERSION", app.Version)
	}
	section(w, "DESCRIPTION", app.Description)
	commandList(w, app.Commands)
	flagList(w, app.VisibleFlags())
	exampleList(w, Examples[""])
}

func CommandHelp(w io.Writer, cmd *cli.Command) {
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
	exampleList(w, Examples[name])
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
		if utf8.RuneCountInString(indent+l) <= HelpWidth {
			fmt.Fprintf(w, "%s%s\n", indent, l) // laid out already: a table keeps its columns
			continue
		}
		lead := len(l) - len(strings.TrimLeft(l, " "))
		for _, wl := range Wrap(l[lead:], HelpWidth-len(indent)-lead) {
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
		lines := Wrap(r[1], HelpWidth-len(indent)-col)
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

// Wrap breaks text into lines of at most width runes, at spaces (a word
// longer than width gets a line of its own).
func Wrap(text string, width int) []string {
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
	s := Dashed(names[0])
	if p := placeholder(f); p != "" {
		s += " " + p
	}
	for _, a := range names[1:] {
		s += ", " + Dashed(a)
	}
	return s
}

// Placeholders name what a flag takes, where its type does not say it:
// set by the program.
var Placeholders map[string]string

func placeholder(f cli.Flag) string {
	if p, ok := Placeholders[f.Names()[0]]; ok {
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

// Examples are each command's EXAMPLES, by its name under the program
// ("" is the program itself): set by the program.
var Examples map[string][]string

// NeedCommand is the Action of waltool and of the commands that only group
// others (migrate, fixtures, bench): run without a command, it prints the
// help on stderr and fails as a usage error (exit 2), since it did nothing.
func NeedCommand(c *cli.Context) error {
	if c.Command != nil && c.Command.Name != "" && c.Command.Name != c.App.Name {
		CommandHelp(c.App.ErrWriter, c.Command)
	} else {
		AppHelp(c.App.ErrWriter, c.App)
	}
	return &UsageError{Msg: "which command? (they are listed above)", Help: HelpName(c), HelpShown: true}
}
