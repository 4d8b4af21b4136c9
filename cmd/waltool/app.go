package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"
)

// Exit codes, documented in docs/commands.md; scripts act on them.
const (
	exitOK       = 0 // nothing Pegasus would refuse was found
	exitFindings = 1 // corruption, data that would be lost, mismatches
	exitUsage    = 2 // bad arguments, unreadable input, I/O errors
)

// findingsError carries a result that is not a failure of the tool itself:
// the command ran to the end and found something (exit 1).
type findingsError struct{ msg string }

func (e *findingsError) Error() string { return e.msg }

func findings(format string, args ...any) error {
	return &findingsError{fmt.Sprintf(format, args...)}
}

func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:  "waltool",
		Usage: "offline tools for Apache Pegasus write-ahead logs (slog and plog)",
		Description: "Read-only unless told: dump, verify and dry runs never open an input for writing.\n" +
			"Exit status: 0 nothing Pegasus would refuse, 1 findings (corruption, loss), 2 usage or I/O error.",
		Writer:          stdout,
		ErrWriter:       stderr,
		HideHelpCommand: true,
		// main is the only place that exits: Run returns every error.
		ExitErrHandler: func(*cli.Context, error) {},
		Commands: []*cli.Command{
			dumpCommand(),
			verifyCommand(),
			replayCommand(),
			fixturesCommand(),
			demoCommand(),
			benchCommand(),
		},
	}
}

func run(args []string, stdout, stderr io.Writer) int {
	err := newApp(stdout, stderr).Run(args)
	if err == nil {
		return exitOK
	}
	var f *findingsError
	if errors.As(err, &f) {
		if f.msg != "" {
			fmt.Fprintln(stderr, "waltool:", f.msg)
		}
		return exitFindings
	}
	fmt.Fprintln(stderr, "waltool:", err)
	return exitUsage
}
