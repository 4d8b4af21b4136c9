package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/internal/clikit"
	"github.com/waltool/waltool/schema"
)

// jsonOut is what a command run with --json leaves for runContext, which
// completes it with the exit status and prints it once: every exit path of
// every command prints one document (docs/json.md), errors included.
type jsonOut struct {
	// doc is the command's document, nil until the command set one.
	doc schema.Document
	// stream: the command prints JSON Lines as it goes (dump, replay
	// --emit); runContext then ends the stream with its end line.
	stream bool
	end    schema.End
}

const jsonOutKey = "waltool.json"

func jsonOf(c *cli.Context) *jsonOut {
	o, _ := c.App.Metadata[jsonOutKey].(*jsonOut)
	if o == nil {
		o = &jsonOut{}
		c.App.Metadata[jsonOutKey] = o
	}
	return o
}

// emitDoc hands the command's --json document to runContext.
func emitDoc(c *cli.Context, d schema.Document) error {
	jsonOf(c).doc = d
	return nil
}

// streamEnd is the end line of the command's JSON Lines stream, for the
// command to fill in its counts.
func streamEnd(c *cli.Context) *schema.End {
	o := jsonOf(c)
	o.stream = true
	return &o.end
}

// commandName is the command path of c without the program's name:
// "migrate upgrade".
func commandName(c *cli.Context) string {
	return strings.TrimPrefix(strings.TrimPrefix(clikit.HelpName(c), "waltool"), " ")
}

// wantsJSON reports whether the command line asks for --json, read from
// the arguments themselves: a usage error may stop parsing before the
// flag is. Help and --version print text, never a document.
func wantsJSON(args []string) bool {
	want := false
	for _, a := range args {
		switch a {
		case "--":
			return want
		case "--json", "-json", "--json=true", "-json=true":
			want = true
		case "--help", "-h", "-help", "--version", "-v", "help":
			return false
		}
	}
	return want
}

// streams reports whether a command prints JSON Lines rather than one
// document: dump, and replay with --emit.
func streams(command string, args []string) bool {
	if command == "dump" {
		return true
	}
	if command != "replay" {
		return false
	}
	for _, a := range args {
		if a == "--emit" || strings.HasPrefix(a, "--emit=") || a == "-emit" || strings.HasPrefix(a, "-emit=") {
			return true
		}
	}
	return false
}

// printJSONOut completes the document with the exit status and err, and
// prints it on w (or, for a stream, its end line).
func printJSONOut(w io.Writer, o *jsonOut, command string, stream bool, code int, err error) {
	env := schema.Envelope{Schema: schema.Version, Command: command, OK: code == exitOK, ExitStatus: code}
	if code == exitUsage || code == exitInterrupted {
		env.Error = errorDoc(code, err)
	} else if err != nil {
		env.Reason = err.Error()
	}
	var doc any
	switch {
	case o.stream || stream:
		o.end.Envelope, o.end.Record = env, schema.RecordEnd
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.Encode(&o.end)
		return
	case o.doc != nil:
		*o.doc.Head() = env
		doc = o.doc
	case code == exitFindings:
		doc = &schema.Refusal{Envelope: env, Findings: schema.Findings(findingsOf(err))}
	default:
		doc = &env
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	enc.Encode(doc)
}

// errorDoc is err as the contract's error: its kind, and the file and
// offset it is about when it carries them.
func errorDoc(code int, err error) *schema.Error {
	e := &schema.Error{Kind: schema.KindFailure}
	var u *clikit.UsageError
	switch {
	case code == exitInterrupted:
		e.Kind, e.Message = schema.KindInterrupted, "interrupted"
		if err != nil && !errors.Is(err, context.Canceled) {
			e.Message += ": " + err.Error()
		}
		return e
	case errors.As(err, &u):
		e.Kind = schema.KindUsage
	}
	if err == nil {
		e.Message = "failed"
		return e
	}
	e.Message = err.Error()
	var f finding.Finding
	var l finding.Locator
	var pe *fs.PathError
	switch {
	case errors.As(err, &f):
	case errors.As(err, &l):
		f = l.Finding()
	case errors.As(err, &pe):
		f = finding.New(finding.Error, pe.Path, "")
	default:
		return e
	}
	e.Path = f.Path
	if f.Offset >= 0 {
		off := f.Offset
		e.Offset = &off
	}
	return e
}
