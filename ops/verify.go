package ops

import (
	"fmt"
	"io"
	"sort"
	"sync/atomic"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/internal/iec"
	"github.com/waltool/waltool/schema"
	"github.com/waltool/waltool/verify"
)

// VerifyRequest is `waltool verify PATH...`.
type VerifyRequest struct {
	Server *Server
	Paths  []string
	// Workers scans this many files at once (0: one per CPU).
	Workers int
}

// VerifyReport is what verify found, for every PATH.
type VerifyReport struct {
	Report  *verify.Report
	targets []schema.Target
}

// Verify checks every PATH as the server would read it. The error is its
// verdict (ExitStatus).
func Verify(env *Env, req VerifyRequest) (*VerifyReport, error) {
	paths := req.Server.Paths(req.Paths)
	if len(paths) == 0 {
		return nil, Usage("needs at least one PATH (or --config)")
	}
	var targets []*dataroot.Target
	var total int64
	for _, p := range paths {
		t, err := req.Server.Resolve(env.read(), p)
		if err != nil {
			return nil, err
		}
		total += logBytes(t)
		targets = append(targets, t)
	}
	bar := env.bytes("verify", total)
	var done atomic.Int64
	opts := verify.Options{FS: env.read(), Workers: req.Workers, Progress: func(n int64) { bar.Set64(done.Add(n)) }}
	rep := &VerifyReport{Report: &verify.Report{OK: true}}
	for _, t := range targets {
		r, err := verify.Target(t, opts)
		if err := env.stopped(); err != nil {
			return nil, err
		}
		if err != nil {
			return nil, err
		}
		rep.add(t, r)
	}
	bar.Finish()
	return rep, Verdict(rep.Report.OK, rep.Report.All())
}

// add merges the report of one PATH.
func (rep *VerifyReport) add(t *dataroot.Target, r *verify.Report) {
	all := rep.Report
	all.Dirs = append(all.Dirs, r.Dirs...)
	all.Findings = append(all.Findings, r.Findings...)
	all.ServerDirs = append(all.ServerDirs, r.ServerDirs...)
	all.OK = all.OK && r.OK
	dt := schema.Target{Path: t.Path, What: string(t.Kind)}
	if len(r.ServerDirs) > 0 {
		dt.ServerDirs = serverDirsDoc(&r.ServerDirs[0])
	}
	rep.targets = append(rep.targets, dt)
}

// Doc is the contract's document.
func (rep *VerifyReport) Doc() schema.Document { return verifyDoc(rep.targets, rep.Report) }

// WriteText prints the report for people.
func (rep *VerifyReport) WriteText(w io.Writer) error {
	r := rep.Report
	for _, src := range r.ServerDirs {
		writeDirs(w, src)
	}
	for _, d := range r.Dirs {
		writeLogDir(w, d)
	}
	for _, f := range r.Findings {
		writeFinding(w, f)
	}
	if r.OK {
		_, err := fmt.Fprintln(w, "OK: nothing Pegasus would refuse")
		return err
	}
	_, err := fmt.Fprintln(w, "FAILED: Pegasus would refuse at least one log or replica")
	return err
}

func writeLogDir(w io.Writer, d *verify.DirReport) {
	status := "ok"
	if !d.OK {
		status = "CORRUPT"
	}
	fmt.Fprintf(w, "%s %s: %s, %s, %s, %s, %s, end offset %d\n",
		d.Kind, d.Path, status, iec.Plural(int64(len(d.Files)), "file"), iec.Plural(int64(d.Blocks), "block"),
		iec.Plural(int64(d.Mutations), "mutation"), iec.Bytes(d.Bytes), d.EndOffset)
	gpids := make([]gpid.Gpid, 0, len(d.Gpids))
	for g := range d.Gpids {
		gpids = append(gpids, g)
	}
	sort.Slice(gpids, func(i, j int) bool { return gpids[i].Less(gpids[j]) })
	for _, g := range gpids {
		st := d.Gpids[g]
		intact := ""
		if st.LastIntactDecree != st.MaxDecree {
			intact = fmt.Sprintf(", last intact decree %d", st.LastIntactDecree)
		}
		fmt.Fprintf(w, "  %-8s decrees %d..%d, %s%s\n", g, st.MinDecree, st.MaxDecree, iec.Plural(int64(st.Mutations), "mutation"), intact)
	}
	for _, f := range d.Findings {
		writeFinding(w, f)
	}
}
