package clikit

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// UsageError is a mistake on the command line: run prints it on one line,
// then a hint naming the help to read, and exits 2.
type UsageError struct {
	Msg       string
	Help      string // the command whose help the hint names: "waltool dump"
	HelpShown bool   // the help is printed already: no hint
}

func (e *UsageError) Error() string { return e.Msg }

// Usagef reports a usage error of the command c.
func Usagef(c *cli.Context, format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...), Help: HelpName(c)}
}

// HelpName is the command path of c with the program's name: "waltool
// migrate upgrade".
func HelpName(c *cli.Context) string {
	name := ""
	for _, l := range c.Lineage() {
		// The app's own root command is named after it.
		if l.Command != nil && l.Command.Name != "" && l.Command.Name != c.App.Name {
			name = " " + l.Command.Name + name
		}
	}
	return "waltool" + name
}
