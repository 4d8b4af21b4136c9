package serversim

import (
	"fmt"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/pegasus"
	"github.com/waltool/waltool/replay"
	"github.com/waltool/waltool/vfs"
)

// LostWrite is an acknowledged write that a restarted server does not
// recover with its content.
type LostWrite struct {
	Gpid   gpid.Gpid
	Decree int64
	Ballot int64  // the acknowledged mutation's
	Dir    string // the replica dir, "" when no dir of the gpid was found
	Why    string
}

// Finding is the write's loss as a finding: Pegasus loses data, class
// Corrupt.
func (l LostWrite) Finding() finding.Finding {
	return finding.New(finding.Corrupt, l.Dir, "acknowledged write lost: decree %d (ballot %d): %s", l.Decree, l.Ballot, l.Why).For(l.Gpid)
}

// Lost restarts a server of version v on root (re-opened through fsys)
// and returns the acknowledged writes it does not recover: an acked
// decree must come out of the replay, committed or prepared, with the
// acknowledged content (the same hash). When the recovered stream has a
// decree more than once (a prepared decree re-proposed at a higher
// ballot), the last one counts, as the prepare list keeps it. When acked
// lists a decree of a replica twice, the later entry (a later write) is the
// one that must survive. Lost reads only: a server that refuses a replica
// or aborts loses every write of it, which the descriptions say.
func Lost(fsys vfs.FS, root *dataroot.Root, v pegasus.Version, acked []Acked) ([]LostWrite, error) {
	r, err := root.Reopen(fsys)
	if err != nil {
		return nil, err
	}
	type key struct {
		g gpid.Gpid
		d int64
	}
	type got struct {
		hash   string
		ballot int64
	}
	want := make(map[key]int, len(acked)) // the acked entry that counts
	for i, a := range acked {
		want[key{a.Gpid, a.Decree}] = i
	}
	found := make(map[key]got, len(acked))
	var buf []byte
	res, err := replay.Run(r, replay.Options{Version: v, EmitAll: true, Emit: func(m *format.Mutation, _ replay.Loc, _ bool) error {
		k := key{m.Gpid, m.Decree}
		if _, ok := want[k]; !ok {
			return nil
		}
		var h string
		h, buf = contentHash(m, buf)
		found[k] = got{hash: h, ballot: m.Ballot}
		return nil
	}})
	if err != nil {
		return nil, err
	}
	dirs := map[gpid.Gpid]string{}
	for _, dr := range r.Replicas {
		dirs[dr.Gpid] = dr.Dir
	}
	notLoaded := map[gpid.Gpid]string{}
	for _, rr := range res.Replicas {
		if rr.Error == "" {
			continue
		}
		notLoaded[rr.Gpid] = rr.Error
	}
	var out []LostWrite
	for i, a := range acked {
		k := key{a.Gpid, a.Decree}
		if want[k] != i {
			continue // superseded by a later write of the decree
		}
		f, ok := found[k]
		if ok && f.hash == a.Hash {
			continue
		}
		var why string
		switch {
		case res.Abort != "":
			why = fmt.Sprintf("the %s server aborts at start: %s", v, res.Abort)
		case dirs[a.Gpid] == "":
			why = "the root has no replica dir of it"
		case notLoaded[a.Gpid] != "":
			why = fmt.Sprintf("the %s server does not recover the replica: %s", v, notLoaded[a.Gpid])
		case ok:
			why = fmt.Sprintf("the %s server recovers the decree with other content (ballot %d)", v, f.ballot)
		default:
			why = fmt.Sprintf("the %s server's replay neither commits nor prepares it", v)
		}
		out = append(out, LostWrite{Gpid: a.Gpid, Decree: a.Decree, Ballot: a.Ballot, Dir: dirs[a.Gpid], Why: why})
	}
	return out, nil
}
