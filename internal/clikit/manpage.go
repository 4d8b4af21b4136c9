package clikit

import (
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/urfave/cli/v2"
)

func ManCommand() *cli.Command {
	return &cli.Command{
		Name:   "man",
		Usage:  "print the man page, waltool(1), in roff",
		Hidden: true, // the release tarballs ship it; docs/commands.md documents it
		Description: "Written from the same definitions as the help. Install it:\n" +
			"  waltool man > /usr/local/share/man/man1/waltool.1\n" +
			"or read it at once:\n" +
			"  waltool man | man -l -",
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return Usagef(c, "unexpected argument %q", c.Args().First())
			}
			return writeManPage(c.App.Writer, c.App, ManVersion())
		},
	}
}

// ExitStatus is one exit status and what it means, for the man page.
type ExitStatus struct {
	Code int
	What string
}

// ExitStatuses are the exit statuses every command shares: set by the
// program. ManVersion names the version in the man page's header.
var (
	ExitStatuses []ExitStatus
	ManVersion   func() string
)

// writeManPage writes waltool(1): every visible command and subcommand with
// its flags, the exit statuses and where the runbooks are.
func writeManPage(w io.Writer, app *cli.App, version string) error {
	m := &manWriter{}
	m.line(`.\" waltool(1), written by "waltool man" from the definitions of the help.`)
	m.line(".TH WALTOOL 1 \"\" %s \"waltool manual\"", m.quoted("waltool "+version))
	m.line(".nh") // no hyphenation: flags and paths are typed as printed
	m.line(".ad l")
	m.line(".SH NAME")
	m.line("waltool \\- %s", RoffEscape(app.Usage))
	m.line(".SH SYNOPSIS")
	m.line(`.B waltool`)
	m.line(`.RB [ \-\-help | \-\-version ]`)
	m.line(".br")
	m.line(`.B waltool`)
	m.line(`.I command`)
	m.line(`.RI [ subcommand "] [" options "] [" arguments ]`)
	m.line(".SH DESCRIPTION")
	m.text(app.Description)
	m.line(".SH GLOBAL OPTIONS")
	m.flags([]cli.Flag{cli.HelpFlag, cli.VersionFlag})
	m.line(".SH COMMANDS")
	m.commands("waltool", app.Commands)
	m.line(".SH EXIT STATUS")
	m.line("Every command:")
	for _, s := range ExitStatuses {
		m.line(".TP")
		m.line(".B %d", s.Code)
		m.line("%s", RoffEscape(s.What))
	}
	m.line(".SH SEE ALSO")
	m.line("The operator's steps to upgrade a replica server to Pegasus 2.6 with")
	m.line(".B waltool migrate upgrade")
	m.line("and the way back are in")
	m.line(".IR docs/runbook\\-upgrade.md ;")
	m.line("every command's output and conventions in")
	m.line(".IR docs/commands.md ;")
	m.line("the GC rules in")
	m.line(".IR docs/gc.md ;")
	m.line("what a downgrade refuses in")
	m.line(".IR docs/downgrade\\-rules.md .")
	m.line("They are in the release tarball and the waltool source tree.")
	_, err := io.WriteString(w, m.b.String())
	return err
}

type manWriter struct{ b strings.Builder }

func (m *manWriter) line(format string, args ...any) {
	fmt.Fprintf(&m.b, format+"\n", args...)
}

// quoted is s as one macro argument.
func (m *manWriter) quoted(s string) string {
	return `"` + strings.ReplaceAll(RoffEscape(s), `"`, `\(dq`) + `"`
}

func (m *manWriter) commands(parent string, cmds []*cli.Command) {
	for _, c := range cmds {
		if c.Hidden {
			continue
		}
		name := parent + " " + c.Name
		head := RoffEscape(name)
		if len(c.Flags) > 0 {
			head += " [options]"
		}
		var subs []string
		for _, s := range c.Subcommands {
			if !s.Hidden {
				subs = append(subs, s.Name)
			}
		}
		if len(subs) > 0 {
			head += ` \fIcommand\fR`
		}
		if c.ArgsUsage != "" {
			head += " " + RoffEscape(c.ArgsUsage)
		}
		m.line(`.SS "%s"`, strings.ReplaceAll(head, `"`, `\(dq`))
		m.text(c.Usage)
		if c.Description != "" {
			m.line(".PP")
			m.text(c.Description)
		}
		if len(subs) > 0 {
			m.line(".PP")
			m.line("Commands: %s; each is described below.", RoffEscape(strings.Join(subs, ", ")))
		}
		m.flags(c.Flags)
		m.examples(Examples[strings.TrimPrefix(name, "waltool ")])
		m.commands(name, c.Subcommands)
	}
}

// examples writes a command's examples as the help lists them.
func (m *manWriter) examples(ex []string) {
	if len(ex) == 0 {
		return
	}
	m.line(".PP")
	m.line("Examples:")
	m.line(".RS 2")
	m.line(".nf")
	for _, e := range ex {
		m.line("%s", RoffEscape(e))
	}
	m.line(".fi")
	m.line(".RE")
}

// flags writes a .TP paragraph per visible flag: its names, a value
// placeholder if it takes one, its usage and default.
func (m *manWriter) flags(flags []cli.Flag) {
	for _, f := range flags {
		if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
			continue
		}
		d, ok := f.(cli.DocGenerationFlag)
		if !ok {
			continue
		}
		usage := flagHelp(f)
		var names []string
		for _, n := range f.Names() {
			names = append(names, `\fB`+RoffEscape(FlagPrefix(n)+n)+`\fR`)
		}
		tag := strings.Join(names, ", ")
		if d.TakesValue() {
			tag += ` \fI` + RoffEscape(placeholder(f)) + `\fR`
		}
		if s, ok := f.(cli.DocGenerationSliceFlag); ok && s.IsSliceFlag() {
			tag += " ..."
		}
		if r, ok := f.(cli.RequiredFlag); ok && r.IsRequired() {
			usage += " (required)"
		}
		m.line(".TP")
		m.line("%s", tag)
		// A break point after each comma: a long list of values can Wrap.
		m.line("%s", strings.ReplaceAll(RoffEscape(usage), ",", `,\:`))
	}
}

var (
	manItem         = regexp.MustCompile(`^  (\S+)  +(\S.*)$`) // "  name   what it is"
	manContinuation = regexp.MustCompile(`^    +(\S.*)$`)      // the rest of an item
	manLiteral      = regexp.MustCompile(`^ +\S`)              // an indented line: a command to type
)

// text writes help text: lines are filled as prose, except that pre-wrapped
// lists ("  name   what...", continued further indented) become tagged
// paragraphs, and other indented lines (commands to type) stay as they are.
func (m *manWriter) text(s string) {
	inItem, inLiteral := false, false
	endLiteral := func() {
		if inLiteral {
			m.line(".fi")
			m.line(".RE")
			inLiteral = false
		}
	}
	for _, l := range strings.Split(s, "\n") {
		if c := manContinuation.FindStringSubmatch(l); c != nil && inItem {
			m.line("%s", RoffEscape(c[1]))
			continue
		}
		if it := manItem.FindStringSubmatch(l); it != nil {
			endLiteral()
			m.line(".TP")
			m.line(`\fB%s\fR`, RoffEscape(it[1]))
			m.line("%s", RoffEscape(it[2]))
			inItem = true
			continue
		}
		if manLiteral.MatchString(l) {
			if !inLiteral {
				m.line(".RS 2")
				m.line(".nf")
				inLiteral = true
			}
			m.line("%s", RoffEscape(strings.TrimSpace(l)))
			inItem = false
			continue
		}
		endLiteral()
		switch {
		case strings.TrimSpace(l) == "":
			m.line(".PP")
		case inItem:
			m.line(".PP")
			m.line("%s", RoffEscape(l))
		default:
			m.line("%s", RoffEscape(l))
		}
		inItem = false
	}
	endLiteral()
}

// RoffEscape makes s text for roff: backslashes, minus signs (so that flags
// copy as typed), quotes, a leading dot or quote, and non-ASCII characters.
func RoffEscape(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\e`)
		case r == '-':
			b.WriteString(`\-`)
		case r == '\'':
			b.WriteString(`\(aq`)
		case r == '`':
			b.WriteString(`\(ga`)
		case r == '.' && i == 0:
			b.WriteString(`\&.`)
		case r > 127:
			fmt.Fprintf(&b, `\[u%04X]`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
