package main

import (
	"os"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

// progressMin is the input size from which dump and replay show a bar:
// below it they finish before a bar would tell anything.
const progressMin = 64 << 20

// newProgress returns a byte progress bar on stderr, or a silent one when
// stderr is not a terminal (scripts, CI) or --progress=false.
func newProgress(c *cli.Context, total int64, what string) *progressbar.ProgressBar {
	f, ok := c.App.ErrWriter.(*os.File)
	if !c.Bool("progress") || !ok || !term.IsTerminal(int(f.Fd())) {
		return progressbar.DefaultBytesSilent(total, what)
	}
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(f),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowBytes(true),
		progressbar.OptionThrottle(100e6),
		progressbar.OptionClearOnFinish(),
	)
}

// newLargeProgress is newProgress for commands that are usually quick
// (dump, replay): silent unless the input holds at least progressMin bytes.
func newLargeProgress(c *cli.Context, total int64, what string) *progressbar.ProgressBar {
	if total < progressMin {
		return progressbar.DefaultBytesSilent(total, what)
	}
	return newProgress(c, total, what)
}
