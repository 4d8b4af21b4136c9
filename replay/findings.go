package replay

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/decrees"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
)

// collectFindings turns the verdicts already in res into located findings:
// the file and offset where a log is refused, the metadata that keeps a
// replica from loading, the decrees a version loses, each with its gpid.
// reps[i] is the model of root.Replicas[i], nil when it was not loaded.
func (res *Result) collectFindings(root *dataroot.Root, reps []*replica) {
	res.Findings = []finding.Finding{}
	add := func(f finding.Finding) { res.Findings = append(res.Findings, f) }
	slogDir := root.SlogDir
	// The dirs that could not be read: whatever they hold is not covered.
	dirs := map[string]bool{slogDir: true}
	for _, d := range root.Sources.DataDirs {
		dirs[d.Path] = true
	}
	for _, f := range root.Findings {
		if f.Gpid == nil && dirs[f.Path] && (f.Class.Fatal() || f.Path != slogDir) {
			add(f)
		}
	}
	if res.NoSlogRead != "" {
		where, how := slogDir, SlogHint
		if slogDir == "" {
			where, how = root.Replicas[0].Dir, "replay the data root that holds it (with --config or --slog-dir if its slog is elsewhere), or state that the server has no slog with --no-slog"
		}
		add(finding.New(finding.Missing, where, "no slog was read (%s), so whether it holds writes the plogs lack is unknown and nothing can be called safe: %s", res.NoSlogRead, how))
	}
	if res.Slog != nil && res.Slog.err != nil {
		add(failure("the slog is refused, and with it every replica (moved to .err)", res.Slog.err, slogDir))
	}
	if res.abortErr != nil {
		add(failure("the slog replay aborts the server", res.abortErr, slogDir))
	}
	for i, dr := range root.Replicas {
		rr, r := res.Replicas[i], reps[i]
		switch {
		case r == nil:
			add(notLoaded(dr, rr.Error))
		case r.err != nil && r.slogAbort:
			// Located once, as the slog replay's abort, above.
		case r.err != nil:
			what := "the plog is refused: the replica moves to .err"
			if errors.Is(r.err, ErrAbort) {
				what = "replaying the plog aborts the server"
			}
			add(failure(what, r.err, dr.PlogDir).For(dr.Gpid))
		case len(rr.Lost) > 0:
			add(finding.New(finding.Corrupt, dr.Dir, "under %s, decrees %s are lost: only the slog holds them", res.ServerVersion,
				decrees.Format(rr.Lost)).For(dr.Gpid))
		case rr.LogIncomplete:
			add(finding.New(finding.Warning, dr.Dir, "slog and plog max decrees differ: 2.3 marks every replica inactive, to learn from its peers").For(dr.Gpid))
		}
	}
	// A slog and replica dirs of different servers replay into nonsense
	// that may look fine: say so first (a warning; a write refuses on it).
	for _, f := range root.NotOneServer() {
		add(f)
	}
	for _, o := range res.Orphans {
		f := finding.New(finding.Warning, slogDir, "%d slog mutations (decrees %d..%d) of a replica that is not loaded are dropped: %s",
			o.Mutations, o.MinDecree, o.MaxDecree, o.Reason)
		if o.Reason == ReasonNoReplicaDir {
			f.Message += "; " + OrphanHint
		}
		add(f.For(o.Gpid))
	}
}

// SlogHint says how to point replay at a slog it did not find.
const SlogHint = dataroot.SlogHint

// ReasonNoReplicaDir is an Orphan's Reason when no data dir read holds a
// replica dir of its gpid.
const ReasonNoReplicaDir = "no replica dir"

// OrphanHint is what an orphan of ReasonNoReplicaDir may mean.
const OrphanHint = "if its replica is on a data dir that was not read, the verdict does not cover it: check [replication] data_dirs / --data-dirs"

// notLoaded is why the server does not load dr: the fatal finding of its
// metadata when there is one, else the replay model's reason.
func notLoaded(dr *dataroot.Replica, why string) finding.Finding {
	for _, f := range dataroot.ValidateReplica(dr) {
		if f.Class.Fatal() {
			return f
		}
	}
	return finding.New(finding.Corrupt, filepath.Join(dr.Dir, dataroot.InitInfoFile), "%s", why).For(dr.Gpid)
}

// failure locates err: where the codec or the chain rules found damage,
// or, for a CHECK of the prepare list, the log being replayed. An error
// nobody located is waltool failing to read (finding.Error).
func failure(what string, err error, path string) finding.Finding {
	f := finding.From(err, path)
	if errors.Is(err, ErrAbort) {
		f.Class = finding.Corrupt
		var at *abortAt
		if !errors.As(err, &at) {
			f.Message = err.Error()
		}
	}
	if f.Class != finding.Error {
		f.Message = what + ": " + f.Message
	}
	return f
}

// abortAt locates a CHECK of the prepare list at the mutation that hit it:
// the log file, the mutation's file offset, its gpid and decree.
type abortAt struct {
	file string
	pos  format.Pos
	m    struct {
		gpid           gpid.Gpid
		ballot, decree int64
	}
	err error
}

// locate wraps err, returned by replay_mutation for m at pos, with the
// file holding m: the last of files starting at or before m's log offset
// (Scan has checked that log_offset is the mutation's global offset).
func locate(files *locator, m *format.Mutation, pos format.Pos, err error) error {
	e := &abortAt{pos: pos, err: err, file: files.at(m, pos).File}
	e.m.gpid, e.m.ballot, e.m.decree = m.Gpid, m.Ballot, m.Decree
	return e
}

func (e *abortAt) Error() string {
	return fmt.Sprintf("%s: %s", e.file, e.where()) + ": " + e.err.Error()
}

func (e *abortAt) where() string {
	return fmt.Sprintf("mutation at offset %d (block at %d; gpid %s, ballot %d, decree %d)", e.pos.FileOffset, e.pos.BlockOffset, e.m.gpid, e.m.ballot, e.m.decree)
}

func (e *abortAt) Unwrap() error { return e.err }

// Finding places the abort at the mutation's file offset.
func (e *abortAt) Finding() finding.Finding {
	return finding.New(finding.Corrupt, e.file, "%s: %v", e.where(), e.err).At(e.pos.FileOffset).For(e.m.gpid)
}
