package clikit

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// NormalizeArgs prepares a command line for urfave/cli v2, which stops
// parsing flags at the first positional argument:
//
//   - the flags of the command named (and their values) are moved before
//     its positional arguments, so that `waltool verify ROOT --json` is
//     `waltool verify --json ROOT` ("--" still ends the flags);
//   - `waltool help CMD [SUB]` becomes `waltool CMD [SUB] --help`;
//   - an unknown command is a usage error.
//
// Unknown flags are left in place for the parser to reject.
func NormalizeArgs(app *cli.App, args []string) ([]string, error) {
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
		fl, pos, err := SplitFlags(flags, rest, len(cmds) > 0)
		if err != nil {
			return nil, &UsageError{Msg: err.Error(), Help: path}
		}
		if len(cmds) == 0 || len(pos) == 0 {
			if help && len(pos) > 0 {
				return nil, &UsageError{Msg: fmt.Sprintf("help names a command: %q is not a command of %s", pos[0], path), Help: path}
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
			if s := Suggest(cmds, name); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
			return nil, &UsageError{Msg: msg, Help: path}
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

// SplitFlags separates args into flags (with the values of those that take
// one) and positional arguments, in order. With stopAtPositional (a command
// with subcommands), everything from the first positional on is positional.
// A flag that takes a value but is last, or followed by "--" or by another
// of flags, is an error: taking the next argument as its value would
// swallow a PATH or a flag (--flag=VALUE passes a value that looks like one).
func SplitFlags(flags []cli.Flag, args []string, stopAtPositional bool) (fl, pos []string, err error) {
	takesValue := FlagArity(flags)
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
			if i+1 == len(args) || args[i+1] == "--" || IsFlag(takesValue, args[i+1]) {
				return nil, nil, fmt.Errorf("%s needs a value", a)
			}
			i++
			fl = append(fl, args[i])
		}
	}
	return fl, pos, nil
}

// FlagArity maps every name of flags to whether the flag takes a value.
func FlagArity(flags []cli.Flag) map[string]bool {
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

// IsFlag reports whether arg names one of the flags of takesValue.
func IsFlag(takesValue map[string]bool, arg string) bool {
	if !strings.HasPrefix(arg, "-") {
		return false
	}
	name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
	_, ok := takesValue[name]
	return ok
}

// Suggest returns the command name closest to a mistyped one, if any is
// close (a prefix, or at most two edits away).
func Suggest(cmds []*cli.Command, name string) string {
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

// CommandOf is the command path args name ("migrate upgrade"), "" when
// they name none.
func CommandOf(app *cli.App, args []string) string {
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
