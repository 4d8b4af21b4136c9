package main

import (
	"fmt"
	"io"
	"regexp"
	"runtime/debug"
	"strings"

	"github.com/urfave/cli/v2"
)

func manCommand() *cli.Command {
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
				return usagef(c, "unexpected argument %q", c.Args().First())
			}
			bi, _ := debug.ReadBuildInfo()
			return writeManPage(c.App.Writer, c.App, versionName(releaseVersion, bi))
		},
	}
}

// exitStatuses are the exit statuses every command shares
// (docs/commands.md), for the man page.
var exitStatuses = []struct {
	code int
	what string
}{
	{exitOK, "Done: nothing that Pegasus would refuse, and nothing lost."},
	{exitFindings, "Findings: corruption, a replica Pegasus would not open, data a server version would lose, " +
		"a CHECK that aborts the server, a malformed write payload (dump -d), a slog or data dir that is missing; " +
		"gc --check: a replica holds a file back."},
	{exitUsage, "Usage error, unreadable input, I/O error: the command could not do its job, " +
		"or its answer is incomplete."},
	{exitInterrupted, "Interrupted by SIGINT or SIGTERM: the command stopped and removed what it was creating; " +
		"nothing it reads is ever changed."},
}

// writeManPage writes waltool(1): every visible command and subcommand with
// its flags, the exit statuses and where the runbooks are.
func writeManPage(w io.Writer, app *cli.App, version string) error {
	m := &manWriter{}
	m.line(`.\" waltool(1), written by "waltool man" from the definitions of the help.`)
	m.line(".TH WALTOOL 1 \"\" %s \"waltool manual\"", m.quoted("waltool "+version))
	m.line(".nh") // no hyphenation: flags and paths are typed as printed
	m.line(".ad l")
	m.line(".SH NAME")
	m.line("waltool \\- %s", roffEscape(app.Usage))
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
	for _, s := range exitStatuses {
		m.line(".TP")
		m.line(".B %d", s.code)
		m.line("%s", roffEscape(s.what))
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
	return `"` + strings.ReplaceAll(roffEscape(s), `"`, `\(dq`) + `"`
}

func (m *manWriter) commands(parent string, cmds []*cli.Command) {
	for _, c := range cmds {
		if c.Hidden {
			continue
		}
		name := parent + " " + c.Name
		head := roffEscape(name)
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
			head += " " + roffEscape(c.ArgsUsage)
		}
		m.line(`.SS "%s"`, strings.ReplaceAll(head, `"`, `\(dq`))
		m.text(c.Usage)
		if c.Description != "" {
			m.line(".PP")
			m.text(c.Description)
		}
		if len(subs) > 0 {
			m.line(".PP")
			m.line("Commands: %s; each is described below.", roffEscape(strings.Join(subs, ", ")))
		}
		m.flags(c.Flags)
		m.examples(examples[strings.TrimPrefix(name, "waltool ")])
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
		m.line("%s", roffEscape(e))
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
			names = append(names, `\fB`+roffEscape(flagPrefix(n)+n)+`\fR`)
		}
		tag := strings.Join(names, ", ")
		if d.TakesValue() {
			tag += ` \fI` + roffEscape(placeholder(f)) + `\fR`
		}
		if s, ok := f.(cli.DocGenerationSliceFlag); ok && s.IsSliceFlag() {
			tag += " ..."
		}
		if r, ok := f.(cli.RequiredFlag); ok && r.IsRequired() {
			usage += " (required)"
		}
		m.line(".TP")
		m.line("%s", tag)
		// A break point after each comma: a long list of values can wrap.
		m.line("%s", strings.ReplaceAll(roffEscape(usage), ",", `,\:`))
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
			m.line("%s", roffEscape(c[1]))
			continue
		}
		if it := manItem.FindStringSubmatch(l); it != nil {
			endLiteral()
			m.line(".TP")
			m.line(`\fB%s\fR`, roffEscape(it[1]))
			m.line("%s", roffEscape(it[2]))
			inItem = true
			continue
		}
		if manLiteral.MatchString(l) {
			if !inLiteral {
				m.line(".RS 2")
				m.line(".nf")
				inLiteral = true
			}
			m.line("%s", roffEscape(strings.TrimSpace(l)))
			inItem = false
			continue
		}
		endLiteral()
		switch {
		case strings.TrimSpace(l) == "":
			m.line(".PP")
		case inItem:
			m.line(".PP")
			m.line("%s", roffEscape(l))
		default:
			m.line("%s", roffEscape(l))
		}
		inItem = false
	}
	endLiteral()
}

// roffEscape makes s text for roff: backslashes, minus signs (so that flags
// copy as typed), quotes, a leading dot or quote, and non-ASCII characters.
func roffEscape(s string) string {
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
