package verify

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"

	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/format/rrdb"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/internal/par"
	"github.com/waltool/waltool/logrules"
	"github.com/waltool/waltool/vfs"
)

// DirSpec names a log directory to verify.
type DirSpec struct {
	Path  string
	Kind  Kind
	Owner *gpid.Gpid // plog: the replica that owns it, if known
	// Dir is the dir's listing when the caller already has it (a
	// dataroot.Target); nil: LogDirs lists Path.
	Dir *format.Dir
}

// Options tune a verification.
type Options struct {
	// Workers scanning files at once; 0 means one per CPU. Files are
	// independent (the CRC chain restarts in every file), so this is where
	// the parallelism is.
	Workers int
	// Progress, if set, is called with the size of each file scanned. It
	// must be safe for concurrent use.
	Progress func(bytes int64)
	// FS is what files are read through; nil means vfs.ReadOnly(vfs.OS).
	FS vfs.FS
}

func (o Options) fs() vfs.FS {
	if o.FS == nil {
		return vfs.ReadOnly(vfs.OS)
	}
	return o.FS
}

// errUnknownCode stops a file scan where Pegasus would abort.
var errUnknownCode = errors.New("unknown task code")

// LogDirs verifies log directories, scanning all their files in parallel.
// The returned error is for I/O failures (an unreadable directory or file);
// damage is reported in the DirReports.
func LogDirs(specs []DirSpec, opts Options) ([]*DirReport, error) {
	type job struct {
		dir  int
		file int
	}
	reps := make([]*DirReport, len(specs))
	dirs := make([]*format.Dir, len(specs))
	var jobs []job
	for i, sp := range specs {
		d := sp.Dir
		if d == nil {
			var err error
			if d, err = format.OpenDir(opts.fs(), sp.Path); err != nil {
				return nil, err
			}
		}
		dirs[i] = d
		reps[i] = &DirReport{Path: sp.Path, Kind: sp.Kind, Owner: sp.Owner, Gpids: map[gpid.Gpid]*GpidStats{}, Ignored: d.Ignored}
		reps[i].Files = make([]*FileReport, len(d.Files))
		for j := range d.Files {
			jobs = append(jobs, job{i, j})
		}
	}
	scans := make([][]*format.FileScan, len(specs))
	for i := range scans {
		scans[i] = make([]*format.FileScan, len(dirs[i].Files))
	}

	workers := par.Workers(opts.Workers, len(jobs))
	// Largest files first, so that one big file does not start last.
	sort.SliceStable(jobs, func(a, b int) bool {
		return dirs[jobs[a].dir].Files[jobs[a].file].Size > dirs[jobs[b].dir].Files[jobs[b].file].Size
	})
	fsys := opts.fs()
	errs := make([]error, len(jobs))
	par.Each(len(jobs), workers, func(k int) {
		j := jobs[k]
		lf := dirs[j.dir].Files[j.file]
		fr, s, err := scanFile(fsys, lf)
		if err != nil {
			errs[k] = err
			return
		}
		reps[j.dir].Files[j.file], scans[j.dir][j.file] = fr, s
		if opts.Progress != nil {
			opts.Progress(lf.Size)
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for i := range specs {
		assemble(reps[i], dirs[i], scans[i])
	}
	return reps, nil
}

// scanFile reads one file and gathers what the dir-level checks need.
func scanFile(fsys vfs.FS, lf format.LogFile) (*FileReport, *format.FileScan, error) {
	fr := &FileReport{Name: lf.Name(), Path: lf.Path, Index: lf.Index, StartOffset: lf.StartOffset, Bytes: lf.Size, ErrorOffset: -1, Gpids: map[gpid.Gpid]*GpidStats{}}
	var last *GpidStats
	lastGpid := gpid.Gpid{App: -1}
	var unknown error
	// The codes of one file are nearly always one or two; DecodeMutation
	// interns them, so comparing with the last known one is usually a
	// pointer comparison.
	var known string
	s, err := format.ScanFile(fsys, lf, func(m *format.Mutation, p format.Pos) error {
		for i := range m.Updates {
			c := m.Updates[i].Code
			if c == known {
				continue
			}
			if !rrdb.IsKnownCode(c) {
				unknown = &format.Error{File: lf.Path, Offset: p.BlockOffset, Block: p.Block, MutationOffset: p.FileOffset, Class: finding.Corrupt,
					Err: fmt.Errorf("%w %q in update %d of decree %d: the server aborts on replay", errUnknownCode, c, i, m.Decree)}
				return errUnknownCode
			}
			known = c
		}
		if m.Gpid != lastGpid {
			lastGpid = m.Gpid
			last = fr.Gpids[m.Gpid]
			if last == nil {
				last = &GpidStats{MinDecree: m.Decree, MaxDecree: m.Decree}
				fr.Gpids[m.Gpid] = last
			}
		}
		last.Mutations++
		last.MinDecree = min(last.MinDecree, m.Decree)
		last.MaxDecree = max(last.MaxDecree, m.Decree)
		return nil
	})
	if err != nil && !errors.Is(err, errUnknownCode) {
		return nil, nil, err
	}
	if unknown != nil {
		e, _ := format.AsError(unknown)
		// Blocks before the one holding the bad update stay valid.
		s.Err = unknown
		s.ValidBytes = e.Offset
	}
	fr.Header = s.Header
	fr.Blocks = s.Blocks
	fr.Mutations = s.Mutations
	fr.ValidBytes = s.ValidBytes
	if s.Err != nil {
		e, _ := format.AsError(s.Err)
		fr.Error = s.Err.Error()
		fr.ErrorOffset = e.Offset
		fr.Status = e.Class
	}
	return fr, s, nil
}

// assemble applies the rules that span files: what Pegasus replays, where
// it stops, and the header and ownership checks.
func assemble(r *DirReport, d *format.Dir, scans []*format.FileScan) {
	add := func(f finding.Finding) {
		if r.Owner != nil && f.Gpid == nil {
			f = f.For(*r.Owner)
		}
		r.Findings = append(r.Findings, f)
	}
	if d.DuplicateIndex != nil {
		add(finding.From(d.DuplicateIndex, d.Path))
	}
	for _, name := range d.Ignored {
		add(finding.New(finding.Warning, filepath.Join(d.Path, name), "not a log file name; Pegasus skips it"))
	}
	for _, n := range d.NotRegular {
		p := filepath.Join(d.Path, n.Name)
		if n.PegasusOpens() {
			add(finding.New(finding.Corrupt, p, "not a regular file (%s) although named like a log file: Pegasus's mutation_log::open "+
				"lists it (get_subfiles) and opens it as a log, which fails or, for a FIFO, blocks; waltool does not open it", vfs.TypeName(n.Type)))
			continue
		}
		what := vfs.TypeName(n.Type)
		if n.Type&fs.ModeSymlink != 0 {
			what = "a dangling symlink or a symlink loop"
		}
		add(finding.New(finding.Warning, p, "not a regular file (%s) although named like a log file; Pegasus skips it", what))
	}
	v := logrules.Chain(scans)
	for i, fr := range r.Files {
		r.Blocks += fr.Blocks
		r.Mutations += fr.Mutations
		r.Bytes += fr.Bytes
		for g, st := range fr.Gpids {
			mergeStats(r.Gpids, g, st)
		}
		if scans[i].Err != nil {
			f := finding.From(scans[i].Err, fr.Path)
			if f.Class == finding.TornTail {
				msg := "incomplete last block; Pegasus replays up to the last whole block"
				if fr.Blocks == 0 {
					msg = "incomplete file header; Pegasus skips the file (renaming it .removed)"
				}
				f.Message = msg + ": " + f.Message
			}
			add(f)
		}
	}
	// Two files of one index abort mutation_log::open before any chain
	// rule runs: the "missing index" Chain would see is not Pegasus's.
	if v.Err != nil && errors.Is(v.Err, logrules.ErrChain) && d.DuplicateIndex == nil {
		add(finding.From(v.Err, d.Path))
	}
	// A torn tail in a middle file is fine only if the next file starts
	// where its valid data ends; Chain reports the mismatch on the next
	// file, so the torn file itself keeps its torn-tail status.
	replayed := map[*format.FileScan]bool{}
	for _, s := range v.Replayed {
		replayed[s] = true
	}
	for i, s := range scans {
		if replayed[s] {
			for g, st := range r.Files[i].Gpids {
				cur := r.Gpids[g]
				cur.LastIntactDecree = max(cur.LastIntactDecree, st.MaxDecree)
			}
		}
	}
	r.EndOffset = v.EndOffset
	checkHeaders(r, scans, add)
	r.OK = !finding.AnyFatal(r.Findings)
}

func mergeStats(m map[gpid.Gpid]*GpidStats, g gpid.Gpid, st *GpidStats) {
	cur := m[g]
	if cur == nil {
		c := *st
		c.LastIntactDecree = 0
		m[g] = &c
		return
	}
	cur.Mutations += st.Mutations
	cur.MinDecree = min(cur.MinDecree, st.MinDecree)
	cur.MaxDecree = max(cur.MaxDecree, st.MaxDecree)
}

// checkHeaders compares each file header with the files before it. A header
// max_decree is the writer's in-memory max decree when the file was created
// (mutation_log::create_new_log_file): the max over the files before it,
// their own headers included (a header carries forward what older files
// held). After a restart it can be lower than the true maximum of older
// files, and a learning reset can set it to the learned point
// (mutation_log::on_partition_reset), but a plain writer never sets it
// higher, so a higher value is worth a look, not an error. The first file
// read has no file before it to compare with: its header is above 0
// whenever older files were collected, or the replica learned before it
// wrote (a new plog dir starting at log.1.0 with the learned decree).
func checkHeaders(r *DirReport, scans []*format.FileScan, add func(finding.Finding)) {
	seen := map[gpid.Gpid]int64{}
	before := false // a file with a header was read before this one
	for i, s := range scans {
		if s.Header == nil {
			continue
		}
		fr := r.Files[i]
		if r.Kind == Plog && r.Owner != nil {
			if len(s.Header.Entries) != 1 || s.Header.Entries[0].Gpid != *r.Owner {
				add(finding.New(finding.Warning, fr.Path, "plog header lists %d entries, expected exactly the owner %s", len(s.Header.Entries), r.Owner).At(0))
			}
			for g, st := range fr.Gpids {
				if g != *r.Owner {
					add(finding.New(finding.Warning, fr.Path, "%d mutations of gpid %s in the plog of %s", st.Mutations, g, r.Owner))
				}
			}
		}
		for _, e := range s.Header.Entries {
			if e.ValidStartOffset > s.File.StartOffset {
				add(finding.New(finding.Warning, fr.Path, "header valid_start_offset %d of %s is past the file start %d", e.ValidStartOffset, e.Gpid, s.File.StartOffset).At(0).For(e.Gpid))
			}
			if before && e.MaxDecree > seen[e.Gpid] {
				add(finding.New(finding.Warning, fr.Path, "header max_decree %d of %s is above the %d of the files before it, their headers and mutations (a learning reset, or a damaged header)", e.MaxDecree, e.Gpid, seen[e.Gpid]).At(0).For(e.Gpid))
			}
		}
		for _, e := range s.Header.Entries {
			seen[e.Gpid] = max(seen[e.Gpid], e.MaxDecree)
		}
		for g, st := range fr.Gpids {
			seen[g] = max(seen[g], st.MaxDecree)
		}
		before = true
	}
}
