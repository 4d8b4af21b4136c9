package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/internal/clikit"
)

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
		Action:         clikit.NeedCommand,
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
			clikit.CompletionCommand(),
			clikit.ManCommand(),
		},
	}
	onUsage := func(c *cli.Context, err error, _ bool) error {
		return &clikit.UsageError{Msg: clikit.PlainUsage(c, err), Help: clikit.HelpName(c)}
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
	if clikit.CompleteRequest(app, args, stdout) {
		return exitOK
	}
	out := &jsonOut{}
	app.Metadata = map[string]any{jsonOutKey: out}
	command := ""
	raw := args
	args, err := clikit.NormalizeArgs(app, args)
	app.Metadata[clikit.ArgsKey] = args
	if err == nil {
		err = app.RunContext(ctx, args)
	}
	code := exitStatus(ctx, done.Load(), err, stderr)
	if wantsJSON(raw) {
		if command = clikit.CommandOf(app, raw); command == "" {
			var u *clikit.UsageError
			if errors.As(err, &u) {
				command = strings.TrimPrefix(strings.TrimPrefix(u.Help, "waltool"), " ")
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
	var u *clikit.UsageError
	switch {
	case err == nil:
	case errors.As(err, &u):
		fmt.Fprintf(stderr, "%s: %s\n", u.Help, u.Msg)
		if !u.HelpShown {
			fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", u.Help)
		}
	case err.Error() != "":
		fmt.Fprintln(stderr, "waltool:", err)
	}
	return code
}
