// Package dump prints the mutations of Pegasus log files, as text in the
// format of Pegasus's own `mlog_dump` shell command or as JSON Lines.
package dump

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/format/rrdb"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/schema"
	"github.com/waltool/waltool/vfs"
)

// Options select and format what is printed.
type Options struct {
	JSON bool // JSON Lines instead of mlog_dump text
	// Command names the command in every JSON line ("dump").
	Command  string
	Detailed bool // decode each update's request (mlog_dump -d)
	// Gpids, if not empty, keeps only these replicas' mutations.
	Gpids []gpid.Gpid
	// FromDecree and ToDecree bound the decrees printed, both inclusive;
	// ToDecree < 0 means no upper bound.
	FromDecree, ToDecree int64
	// MaxBytes, if > 0, reads only the first MaxBytes of each file (as
	// Kafka's dump tool does), to look at the head of a huge file cheaply.
	MaxBytes int64
	// Location for mlog_dump timestamps; Pegasus prints local time.
	Location *time.Location
	Out, Err io.Writer
	// FS is what files are read through; nil means vfs.ReadOnly(vfs.OS).
	FS vfs.FS
	// Progress, if set, is called with the number of bytes of the files
	// read since its last call (for a progress bar).
	Progress func(n int64)
}

func (o Options) fs() vfs.FS {
	if o.FS == nil {
		return vfs.ReadOnly(vfs.OS)
	}
	return o.FS
}

// Result counts what a dump saw.
type Result struct {
	Files     int `json:"files"`
	Mutations int `json:"mutations"` // read
	Printed   int `json:"printed"`
	TornTails int `json:"torn_tails"`
	Corrupt   int `json:"corrupt"`
	// Malformed counts updates whose payload does not decode (with
	// Detailed): the log is intact, the write inside it is not.
	Malformed int `json:"malformed"`
}

// ErrDamaged is returned (wrapped) when a file had corrupt data; every file
// was still dumped up to its first bad block.
var ErrDamaged = errors.New("log files are damaged")

var errLimit = errors.New("max bytes reached")

// Files dumps files in the order given. A file is read up to its first bad
// block: the problem is reported on Err with file and offset, and the dump
// goes on with the next file.
func Files(files []format.LogFile, opts Options) (Result, error) {
	var res Result
	out := bufio.NewWriterSize(opts.Out, 256<<10)
	defer out.Flush()
	if opts.Location == nil {
		opts.Location = time.Local
	}
	want := map[gpid.Gpid]bool{}
	for _, g := range opts.Gpids {
		want[g] = true
	}
	p := Printer{opts: opts, w: out, res: &res}
	for _, lf := range files {
		res.Files++
		// A dump of several files (a log dir, a replica, a root holding a
		// mutation in both its slog and its plog) says which file the
		// lines below come from; mlog_dump's own lines are unchanged.
		headed := len(files) == 1 || opts.JSON
		var read int64 // bytes of lf reported to Progress
		s, err := format.ScanFile(opts.fs(), lf, func(m *format.Mutation, pos format.Pos) error {
			if opts.MaxBytes > 0 && pos.FileOffset+int64(pos.Size) > opts.MaxBytes {
				return errLimit
			}
			if end := pos.FileOffset + int64(pos.Size); opts.Progress != nil && end-read >= 1<<20 {
				opts.Progress(end - read)
				read = end
			}
			res.Mutations++
			if len(want) > 0 && !want[m.Gpid] || m.Decree < opts.FromDecree || opts.ToDecree >= 0 && m.Decree > opts.ToDecree {
				return nil
			}
			res.Printed++
			if !headed {
				headed = true
				fmt.Fprintf(out, "# %s\n", lf.Path)
			}
			return p.Mutation(lf.Path, m, pos, nil)
		})
		if opts.Progress != nil && lf.Size > read {
			opts.Progress(lf.Size - read)
		}
		if err != nil && !errors.Is(err, errLimit) {
			out.Flush()
			return res, fmt.Errorf("dump %s: %w", lf.Path, err)
		}
		if err == nil && s.Err != nil {
			e, _ := format.AsError(s.Err)
			if err := p.Finding(e.Finding()); err != nil {
				return res, err
			}
			out.Flush()
			if e.Class == finding.TornTail {
				res.TornTails++
				fmt.Fprintf(opts.Err, "%s: offset %d: torn tail (Pegasus tolerates it): %v\n", lf.Path, e.Offset, e.Err)
			} else {
				res.Corrupt++
				fmt.Fprintf(opts.Err, "%s: offset %d: %v; rest of the file skipped\n", lf.Path, e.Offset, e.Err)
			}
		}
	}
	if err := out.Flush(); err != nil {
		return res, err
	}
	switch {
	case res.Corrupt > 0:
		return res, fmt.Errorf("%w: %d of %d files", ErrDamaged, res.Corrupt, res.Files)
	case res.Malformed > 0:
		return res, fmt.Errorf("%w: %d update payloads do not decode", ErrDamaged, res.Malformed)
	}
	return res, nil
}

// Printer prints mutations one by one as Files does, in opts's format
// (mlog_dump text, -d, JSON Lines), to opts.Out; replay --emit uses it.
type Printer struct {
	opts Options
	w    *bufio.Writer
	buf  []byte
	res  *Result
	enc  *json.Encoder
}

// decode decodes update i of m for Detailed output. A payload that does
// not decode (other than a code no decoder exists for, which mlog_dump
// prints as unsupported) is reported on Err with the file and the
// mutation's file offset, and counted.
func (p *Printer) decode(path string, m *format.Mutation, pos format.Pos, i int) (rrdb.Request, error) {
	u := m.Updates[i]
	req, err := rrdb.Decode(u.Code, u.SerializationType, u.Data)
	if err != nil && !rrdb.IsUnsupported(u.Code, err) {
		if p.res != nil {
			p.res.Malformed++
		}
		p.w.Flush()
		fmt.Fprintf(p.opts.Err, "%s: mutation at offset %d (gpid %s, decree %d), update %d: malformed %s payload: %v\n",
			path, pos.FileOffset, m.Gpid, m.Decree, i, u.Code, err)
	}
	return req, err
}

// NewPrinter returns a Printer writing to opts.Out through a buffer:
// call Flush at the end.
func NewPrinter(opts Options) *Printer {
	if opts.Location == nil {
		opts.Location = time.Local
	}
	return &Printer{opts: opts, w: bufio.NewWriterSize(opts.Out, 256<<10)}
}

// Flush writes out what is buffered.
func (p *Printer) Flush() error { return p.w.Flush() }

// Mutation prints m, read from the file at path at pos. committed, when
// not nil, says whether the mutation is committed (replay's recovered
// stream): JSON gets a "committed" field, and the text line of a prepared
// mutation ends with "(prepared, not committed)".
func (p *Printer) Mutation(path string, m *format.Mutation, pos format.Pos, committed *bool) error {
	if p.opts.JSON {
		return p.json(path, m, pos, committed)
	}
	// mutation_log_tool::dump (Pegasus HEAD, src/tools/mutation_log_tool.cpp).
	b := p.buf[:0]
	name := m.Gpid.String() + "." + strconv.FormatInt(m.Ballot, 10) + "." + strconv.FormatInt(m.Decree, 10)
	b = fmt.Appendf(b, "mutation [%s]: gpid=%s, ballot=%d, decree=%d, timestamp=%s, last_committed_decree=%d, log_offset=%d, log_length=%d, update_count=%d\n",
		name, m.Gpid, m.Ballot, m.Decree, timeMs(m.Timestamp/1000, p.opts.Location), m.LastCommittedDecree, m.LogOffset, pos.Size, len(m.Updates))
	if committed != nil && !*committed {
		b = append(b[:len(b)-1], " (prepared, not committed)\n"...)
	}
	p.buf = b
	if _, err := p.w.Write(b); err != nil {
		return err
	}
	if p.opts.Detailed {
		for i, u := range m.Updates {
			req, err := p.decode(path, m, pos, i)
			if err != nil {
				// mlog_dump's own ERROR line; the location went to Err.
				err = rrdb.FormatDetailed(p.w, u.Code, u.SerializationType, u.Data)
			} else {
				err = rrdb.Formatter{}.WriteRequest(p.w, req)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// timeMs is dsn::utils::time_ms_to_string: local time, millisecond precision.
func timeMs(ms int64, loc *time.Location) string {
	t := time.UnixMilli(ms).In(loc)
	return t.Format("2006-01-02 15:04:05") + fmt.Sprintf(".%03d", uint64(ms)%1000)
}

func (p *Printer) json(path string, m *format.Mutation, pos format.Pos, committed *bool) error {
	r := schema.MutationLine{
		Line: p.line(schema.RecordMutation), Path: path, Committed: committed, BlockOffset: pos.BlockOffset, FileOffset: pos.FileOffset,
		LogOffset: m.LogOffset, LogLength: int64(pos.Size), Gpid: m.Gpid.String(), Ballot: m.Ballot, Decree: m.Decree,
		LastCommittedDecree: m.LastCommittedDecree, TimestampUs: m.Timestamp, Updates: make([]schema.Update, len(m.Updates)),
	}
	for i, u := range m.Updates {
		r.Updates[i] = schema.Update{Code: u.Code, SerializationType: int64(u.SerializationType), Bytes: int64(len(u.Data))}
		if p.opts.Detailed {
			req, err := p.decode(path, m, pos, i)
			if err != nil {
				r.Updates[i].DecodeError = err.Error()
			} else {
				r.Updates[i].Request = req
			}
		}
	}
	return p.writeLine(&r)
}

func (p *Printer) line(record string) schema.Line {
	return schema.Line{Schema: schema.Version, Command: p.opts.Command, Record: record}
}

func (p *Printer) writeLine(v any) error {
	if p.enc == nil {
		// Keys and values print as they are: "<" is not "\u003c".
		p.enc = json.NewEncoder(p.w)
		p.enc.SetEscapeHTML(false)
	}
	return p.enc.Encode(v)
}

// Finding prints damage met while dumping as a finding line, in JSON
// mode (the text goes to Err in both modes).
func (p *Printer) Finding(f finding.Finding) error {
	if !p.opts.JSON {
		return nil
	}
	return p.writeLine(&schema.FindingLine{Line: p.line(schema.RecordFinding), Finding: schema.FindingOf(f)})
}
