package ops

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/waltool/waltool/dump"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/internal/iec"
	"github.com/waltool/waltool/schema"
)

// DumpRequest is `waltool dump PATH`.
type DumpRequest struct {
	Server *Server
	Paths  []string
	// JSON prints JSON Lines (the contract's stream) rather than
	// mlog_dump's text; Detailed decodes each write (-d).
	JSON, Detailed bool
	// Command names the command in the stream's lines.
	Command string
	// Gpids, FromDecree, ToDecree (-1: no limit) and MaxBytes (0: all)
	// filter what is printed; Filters says them as typed, for the note
	// when nothing matched.
	Gpids      []gpid.Gpid
	FromDecree int64
	ToDecree   int64
	MaxBytes   int64
	Filters    []string
}

// StreamReport is what a stream (dump, replay --emit) read and printed:
// the counts of its end line.
type StreamReport struct {
	End schema.End
}

// Doc is the stream's end line, its envelope to be completed.
func (r *StreamReport) Doc() schema.Document { return &r.End }

// WriteText prints nothing: the stream is printed already.
func (r *StreamReport) WriteText(io.Writer) error { return nil }

func (req *DumpRequest) check() error {
	if req.FromDecree < 0 {
		return Usage("--from-decree %d: decrees start at 1", req.FromDecree)
	}
	if req.ToDecree < -1 {
		return Usage("--to-decree %d: decrees start at 1", req.ToDecree)
	}
	if req.ToDecree >= 0 && req.ToDecree < req.FromDecree {
		return Usage("--from-decree %d is above --to-decree %d: nothing would be printed", req.FromDecree, req.ToDecree)
	}
	return nil
}

// Dump prints every mutation of PATH's log files in order, to env.Out:
// mlog_dump's lines or the contract's JSON Lines (the end line is the
// caller's, from the report's counts). The error is its verdict.
func Dump(env *Env, req DumpRequest) (*StreamReport, error) {
	if err := req.check(); err != nil {
		return nil, err
	}
	t, files, err := req.Server.Files(env.read(), req.Paths)
	if err != nil {
		return nil, err
	}
	opts := dump.Options{JSON: req.JSON, Command: req.Command, Detailed: req.Detailed, Gpids: req.Gpids,
		FromDecree: req.FromDecree, ToDecree: req.ToDecree, MaxBytes: req.MaxBytes, Out: env.Out, Err: env.warn(), FS: env.read()}
	dirs := dirFindings(env.warn(), t)
	if req.JSON {
		p := dump.NewPrinter(opts)
		for _, f := range dirs {
			p.Finding(f)
		}
		if err := p.Flush(); err != nil {
			return nil, err
		}
	}
	bar := env.large("dump", logBytes(t))
	opts.Progress = func(n int64) { bar.Add64(n) }
	res, err := dump.Files(files, opts)
	bar.Finish()
	noteUnmatched(env.warn(), res, req.Filters)
	rep := &StreamReport{End: schema.End{FileCount: int64(res.Files), Mutations: int64(res.Mutations), Printed: int64(res.Printed)}}
	switch {
	case errors.Is(err, dump.ErrDamaged):
		return rep, Findings("%v", err)
	case err == nil && finding.AnyFatal(dirs):
		return rep, Findings("")
	}
	return rep, err
}

// noteUnmatched says, on w, when filters let nothing through: an empty
// output alone looks like an empty log. It is no error (exit 0): the logs
// are fine, the filter named a replica or decrees they lack.
func noteUnmatched(w io.Writer, res dump.Result, filters []string) {
	f := strings.Join(filters, " ")
	switch {
	case f == "" || res.Printed > 0:
	case res.Mutations == 0:
		fmt.Fprintf(w, "waltool dump: note: no mutation was read, so none matched %s\n", f)
	default:
		fmt.Fprintf(w, "waltool dump: note: none of the %s read matched %s (waltool verify PATH lists the gpids and decree ranges there)\n",
			iec.Plural(int64(res.Mutations), "mutation"), f)
	}
}
