package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"
)

// usageError is a mistake on the command line: run prints it on one line,
// then a hint naming the help to read, and exits 2.
type usageError struct {
	msg       string
	help      string // the command whose help the hint names: "waltool dump"
	helpShown bool   // the help is printed already: no hint
}

func (e *usageError) Error() string { return e.msg }

// usagef reports a usage error of the command c.
func usagef(c *cli.Context, format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...), help: helpName(c)}
}

func helpName(c *cli.Context) string {
	name := ""
	for _, l := range c.Lineage() {
		// The app's own root command is named after it.
		if l.Command != nil && l.Command.Name != "" && l.Command.Name != c.App.Name {
			name = " " + l.Command.Name + name
		}
	}
	return "waltool" + name
}

func newApp(stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:    "waltool",
		Usage:   "offline tools for Apache Pegasus write-ahead logs (slog and plog)",
		Version: version(),
		Description: "Read-only unless told: dump, verify and dry runs never open an input for\n" +
			"writing. Flags may come before or after PATH. 'waltool help CMD' or\n" +
			"'waltool CMD --help' describes a command.\n" +
			"Exit status: 0 nothing Pegasus would refuse, 1 findings (corruption, loss),\n" +
			"2 usage or I/O error, 130 interrupted (SIGINT, SIGTERM).\n" +
			"The upgrade to Pegasus 2.6 (and the way back), step by step: docs/runbook-upgrade.md.",
		Writer:          stdout,
		ErrWriter:       stderr,
		HideHelpCommand: true,
		// main is the only place that exits: Run returns every error.
		ExitErrHandler: func(*cli.Context, error) {},
		Action:         needCommand,
		Commands: []*cli.Command{
			dumpCommand(),
			verifyCommand(),
			replayCommand(),
			gcCommand(),
			migrateCommand(),
			fixturesCommand(),
			demoCommand(),
			benchCommand(),
			schemaCommand(),
			completionCommand(),
			manCommand(),
		},
	}
	onUsage := func(c *cli.Context, err error, _ bool) error {
		return &usageError{msg: plainUsage(c, err), help: helpName(c)}
	}
	app.OnUsageError = onUsage
	var walk func([]*cli.Command)
	walk = func(cmds []*cli.Command) {
		for _, cmd := range cmds {
			cmd.OnUsageError = onUsage
			cmd.Before = checkFlagRules
			walk(cmd.Subcommands)
		}
	}
	walk(app.Commands)
	return app
}

// run runs the command line args without signal handling (tests, the demo).
func run(args []string, stdout, stderr io.Writer) int {
	return runContext(context.Background(), args, stdout, stderr)
}

// runContext runs the command line args; when ctx is cancelled (SIGINT,
// SIGTERM) the command stops, removes what it was creating, and the exit
// status is 130, unless the command's work was already done and durable
// (markDone): then the status is its result's.
func runContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	ctx, done := withDone(ctx)
	app := newApp(stdout, stderr)
	if completeRequest(app, args, stdout) {
		return exitOK
	}
	out := &jsonOut{}
	app.Metadata = map[string]any{jsonOutKey: out}
	command := ""
	raw := args
	args, err := normalizeArgs(app, args)
	app.Metadata[argsKey] = args
	if err == nil {
		err = app.RunContext(ctx, args)
	}
	code := exitStatus(ctx, done.Load(), err, stderr)
	if wantsJSON(raw) {
		if command = commandOf(app, raw); command == "" {
			var u *usageError
			if errors.As(err, &u) {
				command = strings.TrimPrefix(strings.TrimPrefix(u.help, "waltool"), " ")
			}
		}
		printJSONOut(stdout, out, command, streams(command, raw), code, err)
	}
	return code
}

// exitStatus maps how a command ended to its exit status (docs/commands.md)
// and says why on stderr; done: its work was done and durable before an
// interrupt (markDone), which then no longer decides the status.
func exitStatus(ctx context.Context, done bool, err error, stderr io.Writer) int {
	if ctx.Err() != nil {
		if !done {
			fmt.Fprintln(stderr, "waltool: interrupted")
			return exitInterrupted
		}
		fmt.Fprintln(stderr, "waltool: the interrupt came after the work was done and durable: the exit status is its result")
	}
	code := exitOf(err)
	var u *usageError
	switch {
	case err == nil:
	case errors.As(err, &u):
		fmt.Fprintf(stderr, "%s: %s\n", u.help, u.msg)
		if !u.helpShown {
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", u.help)
		}
	case err.Error() != "":
		fmt.Fprintln(stderr, "waltool:", err)
	}
	return code
}

// commandOf is the command path args name ("migrate upgrade"), "" when
// they name none.
func commandOf(app *cli.App, args []string) string {
	var path []string
	cmds := app.Commands
	for _, a := range args[min(1, len(args)):] {
		if a == "--" {
			break
		}
		if strings.HasPrefix(a, "-") {
			continue
		}
		var cmd *cli.Command
		for _, c := range cmds {
			if c.HasName(a) {
				cmd = c
			}
		}
		if cmd == nil {
			break
		}
		path = append(path, cmd.Name)
		cmds = cmd.Subcommands
	}
	return strings.Join(path, " ")
}

// normalizeArgs prepares a command line for urfave/cli v2, which stops
// parsing flags at the first positional argument:
//
//   - the flags of the command named (and their values) are moved before
//     its positional arguments, so that `waltool verify ROOT --json` is
//     `waltool verify --json ROOT` ("--" still ends the flags);
//   - `waltool help CMD [SUB]` becomes `waltool CMD [SUB] --help`;
//   - an unknown command is a usage error.
//
// Unknown flags are left in place for the parser to reject.
func normalizeArgs(app *cli.App, args []string) ([]string, error) {
	if len(args) == 0 {
		return args, nil
	}
	out := []string{args[0]}
	rest := args[1:]
	help := false
	flags := append([]cli.Flag{cli.HelpFlag, cli.VersionFlag}, app.Flags...)
	cmds := app.Commands
	path := "waltool"
	for {
		fl, pos, err := splitFlags(flags, rest, len(cmds) > 0)
		if err != nil {
			return nil, &usageError{msg: err.Error(), help: path}
		}
		if len(cmds) == 0 || len(pos) == 0 {
			if help && len(pos) > 0 {
				return nil, &usageError{msg: fmt.Sprintf("help names a command: %q is not a command of %s", pos[0], path), help: path}
			}
			out = append(out, fl...)
			if help {
				out = append(out, "--help")
			}
			if len(pos) > 0 && (strings.HasPrefix(pos[0], "-") || containsDash(pos)) {
				out = append(out, "--")
			}
			return append(out, pos...), nil
		}
		out = append(out, fl...)
		name := pos[0]
		if name == "help" && path == "waltool" && !help {
			help = true
			rest = pos[1:]
			continue
		}
		var cmd *cli.Command
		for _, c := range cmds {
			if c.HasName(name) {
				cmd = c
			}
		}
		if cmd == nil {
			msg := fmt.Sprintf("unknown command %q", name)
			if s := suggest(cmds, name); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return nil, &usageError{msg: msg, help: path}
		}
		out = append(out, name)
		path += " " + cmd.Name
		flags = append([]cli.Flag{cli.HelpFlag}, cmd.Flags...)
		cmds = cmd.Subcommands
		rest = pos[1:]
	}
}

// containsDash reports whether a positional argument would look like a flag.
func containsDash(pos []string) bool {
	for _, p := range pos {
		if strings.HasPrefix(p, "-") && p != "-" {
			return true
		}
	}
	return false
}

// splitFlags separates args into flags (with the values of those that take
// one) and positional arguments, in order. With stopAtPositional (a command
// with subcommands), everything from the first positional on is positional.
// A flag that takes a value but is last, or followed by "--" or by another
// of flags, is an error: taking the next argument as its value would
// swallow a PATH or a flag (--flag=VALUE passes a value that looks like one).
func splitFlags(flags []cli.Flag, args []string, stopAtPositional bool) (fl, pos []string, err error) {
	takesValue := flagArity(flags)
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return fl, append(pos, args[i+1:]...), nil
		case a == "-" || !strings.HasPrefix(a, "-"):
			if stopAtPositional {
				return fl, append(pos, args[i:]...), nil
			}
			pos = append(pos, a)
		default:
			fl = append(fl, a)
			name, _, inline := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if inline || !takesValue[name] {
				continue
			}
			if i+1 == len(args) || args[i+1] == "--" || isFlag(takesValue, args[i+1]) {
				return nil, nil, fmt.Errorf("%s needs a value", a)
			}
			i++
			fl = append(fl, args[i])
		}
	}
	return fl, pos, nil
}

// flagArity maps every name of flags to whether the flag takes a value.
func flagArity(flags []cli.Flag) map[string]bool {
	takesValue := map[string]bool{}
	for _, f := range flags {
		tv := false
		if t, ok := f.(interface{ TakesValue() bool }); ok {
			tv = t.TakesValue()
		}
		for _, n := range f.Names() {
			takesValue[n] = tv
		}
	}
	return takesValue
}

// isFlag reports whether arg names one of the flags of takesValue.
func isFlag(takesValue map[string]bool, arg string) bool {
	if !strings.HasPrefix(arg, "-") {
		return false
	}
	name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
	_, ok := takesValue[name]
	return ok
}

// suggest returns the command name closest to a mistyped one, if any is
// close (a prefix, or at most two edits away).
func suggest(cmds []*cli.Command, name string) string {
	best, bestD := "", 3
	for _, c := range cmds {
		if c.Hidden {
			continue
		}
		for _, n := range c.Names() {
			if strings.HasPrefix(n, name) && len(name) >= 2 {
				return n
			}
			if d := editDistance(n, name); d < bestD {
				best, bestD = n, d
			}
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
