package main

import (
	"errors"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/internal/clikit"
	"github.com/waltool/waltool/ops"
)

// server reads the root flags once (ops.Settings): what every command
// that reads a data root takes.
func server(c *cli.Context) (*ops.Server, error) {
	return ops.Settings{Config: c.String("config"), Cargs: c.String("cargs"), SlogDir: c.String("slog-dir"),
		DataDirs: c.String("data-dirs"), NoSlog: c.Bool("no-slog")}.Open(readOnlyFS)
}

// env is what an operation takes from the command line's process.
func env(c *cli.Context) *ops.Env {
	return &ops.Env{Ctx: c.Context, Out: c.App.Writer, Warn: c.App.ErrWriter, Read: readOnlyFS, Write: writeFS,
		Bars: bars{c}, Done: func() { markDone(c.Context) }, CommandLine: commandLine(c), Cleanup: onInterrupt}
}

// show prints rep (its document with --json, else its text) when there is
// one, and returns err, the operation's verdict, an ops usage error
// becoming the command line's.
func show[R interface {
	ops.Report
	comparable
}](c *cli.Context, rep R, err error) error {
	var none R
	if rep != none {
		if c.Bool("json") {
			emitDoc(c, rep.Doc())
		} else if werr := rep.WriteText(c.App.Writer); werr != nil && err == nil {
			err = werr
		}
	}
	return usage(c, err)
}

// usage is err with an ops usage error made the command line's, naming the
// help to read.
func usage(c *cli.Context, err error) error {
	var u *ops.UsageError
	if errors.As(err, &u) {
		return clikit.Usagef(c, "%s", u.Msg)
	}
	return err
}

// bars are the progress bars of ops (ops.Bars), on stderr when it is a
// terminal.
type bars struct{ c *cli.Context }

func (b bars) Bytes(what string, total int64) ops.Bar { return newProgress(b.c, total, what) }
func (b bars) Large(what string, total int64) ops.Bar { return newLargeProgress(b.c, total, what) }
func (b bars) Count(what, noun string, total int64) ops.Bar {
	return newCountProgress(b.c, total, what, noun)
}
