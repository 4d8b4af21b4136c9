package clikit

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
)

// A completion request is the command line typed so far, the word being
// completed (possibly empty) and CompleteFlag:
//
//	waltool migrate up --generate-bash-completion
//
// The scripts of `waltool completion` send it (completeShellEnv names the
// shell); waltool prints one candidate a line, and nothing when the shell
// should complete a file name. The request is answered before
// normalizeArgs, which would move the flag, and no command runs.
const (
	CompleteFlag     = "--generate-bash-completion"
	completeShellEnv = "WALTOOL_COMPLETE" // zsh: "name:description" lines, fish: "name\tdescription", else names
)

// CompleteRequest answers args (os.Args) and reports true if they are a
// completion request.
func CompleteRequest(app *cli.App, args []string, w io.Writer) bool {
	if len(args) < 2 || args[len(args)-1] != CompleteFlag {
		return false
	}
	Complete(app, args[1:len(args)-1], os.Getenv(completeShellEnv), w)
	return true
}

// Complete prints the candidates for the last of words, given the ones
// before it: the subcommands of the command named, or its flags when the
// word starts with "-" (those already given left out, unless repeatable).
// After a flag that takes a value, after "--" and where a command takes
// PATHs it prints nothing, for the shell to complete file names. Flags may
// come anywhere, as normalizeArgs allows.
func Complete(app *cli.App, words []string, shell string, w io.Writer) {
	if len(words) == 0 {
		return
	}
	cur, done := words[len(words)-1], words[:len(words)-1]
	flags := append([]cli.Flag{cli.HelpFlag, cli.VersionFlag}, app.Flags...)
	cmds := app.Commands
	top, positional := true, false
	given := map[string]bool{}
	for i := 0; i < len(done); i++ {
		word := done[i]
		switch {
		case word == "--":
			return
		case strings.HasPrefix(word, "-") && word != "-":
			name, _, hasValue := strings.Cut(strings.TrimLeft(word, "-"), "=")
			f := flagNamed(flags, name)
			if f == nil {
				continue
			}
			for _, n := range f.Names() {
				given[n] = true
			}
			if !hasValue && takesValue(f) {
				if i+1 == len(done) {
					return // cur is its value
				}
				i++
			}
		case positional:
		case len(cmds) == 0:
			positional = true
		case top && word == "help":
			top = false // `waltool help CMD [SUB]`
		default:
			var cmd *cli.Command
			for _, c := range cmds {
				if c.HasName(word) {
					cmd = c
				}
			}
			if cmd == nil {
				return
			}
			flags = append([]cli.Flag{cli.HelpFlag}, cmd.Flags...)
			cmds = cmd.Subcommands
			top = false
			given = map[string]bool{}
		}
	}
	if strings.HasPrefix(cur, "-") {
		if strings.Contains(cur, "=") {
			return
		}
		for _, f := range flags {
			if v, ok := f.(cli.VisibleFlag); ok && !v.IsVisible() {
				continue
			}
			if s, ok := f.(cli.DocGenerationSliceFlag); given[f.Names()[0]] && (!ok || !s.IsSliceFlag()) {
				continue
			}
			for _, n := range f.Names() {
				if len(n) == 1 && strings.HasPrefix(cur, "--") {
					continue
				}
				candidate(w, shell, FlagPrefix(n)+n, flagUsage(f))
			}
		}
		return
	}
	if positional {
		return
	}
	for _, c := range cmds {
		if c.Hidden {
			continue
		}
		for _, n := range c.Names() {
			candidate(w, shell, n, c.Usage)
		}
	}
}

// candidate prints one completion, with its description for the shells
// that show one.
func candidate(w io.Writer, shell, name, desc string) {
	desc = strings.Join(strings.Fields(desc), " ")
	switch {
	case shell == "zsh" && desc != "":
		fmt.Fprintf(w, "%s:%s\n", strings.ReplaceAll(name, ":", `\:`), desc)
	case shell == "fish" && desc != "":
		fmt.Fprintf(w, "%s\t%s\n", name, desc)
	default:
		fmt.Fprintln(w, name)
	}
}

func flagNamed(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return f
			}
		}
	}
	return nil
}

func takesValue(f cli.Flag) bool {
	t, ok := f.(interface{ TakesValue() bool })
	return ok && t.TakesValue()
}

// FlagPrefix is "-" for a one-letter name, "--" for the others, as the
// help prints them.
func FlagPrefix(name string) string {
	if len(name) == 1 {
		return "-"
	}
	return "--"
}

// flagUsage is a flag's usage as the help prints it.
func flagUsage(f cli.Flag) string {
	d, ok := f.(cli.DocGenerationFlag)
	if !ok {
		return ""
	}
	_, usage := unquoteUsage(d.GetUsage())
	return usage
}

// unquoteUsage removes the first pair of backquotes from a flag's usage and
// returns the name they held, which the help prints as the flag's value
// placeholder (urfave/cli's rule).
func unquoteUsage(usage string) (name, rest string) {
	before, after, ok := strings.Cut(usage, "`")
	if !ok {
		return "", usage
	}
	name, after, ok = strings.Cut(after, "`")
	if !ok {
		return "", usage
	}
	return name, before + name + after
}
