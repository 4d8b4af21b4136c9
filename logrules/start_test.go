package logrules

import (
	"testing"

	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
)

// mutation_log::open (shared): files whose header max decrees are all
// covered by the replicas' committed decrees are not replayed; a replica
// with a lower header max further back does not unblock a file newer than
// the one where the walk stopped.
func TestSlogFileFilter(t *testing.T) {
	g14 := gpid.Gpid{App: 1, Partition: 4}
	g15 := gpid.Gpid{App: 1, Partition: 5}
	files := func(hs ...map[gpid.Gpid]int64) []OpenedFile {
		var out []OpenedFile
		for i, h := range hs {
			fh := &format.FileHeader{}
			for g, d := range h {
				fh.Entries = append(fh.Entries, format.ReplicaLogInfo{Gpid: g, MaxDecree: d})
			}
			out = append(out, OpenedFile{LogFile: format.LogFile{Index: int32(i + 1)}, Header: fh})
		}
		return out
	}
	cases := []struct {
		name  string
		files []OpenedFile
		cond  map[gpid.Gpid]int64
		want  int
	}{
		{"no replica loaded: no filter", files(nil, nil, nil), nil, 0},
		{"newest is never skipped", files(nil), map[gpid.Gpid]int64{g14: 100}, 0},
		{"covered prefix skipped", files(nil, map[gpid.Gpid]int64{g14: 10}, map[gpid.Gpid]int64{g14: 20}), map[gpid.Gpid]int64{g14: 20}, 2},
		{"one uncovered replica keeps the file", files(nil, map[gpid.Gpid]int64{g14: 10, g15: 10}, map[gpid.Gpid]int64{g14: 20, g15: 20}), map[gpid.Gpid]int64{g14: 30, g15: 15}, 1},
		{"absent gpid counts as covered", files(nil, nil, map[gpid.Gpid]int64{g15: 5}), map[gpid.Gpid]int64{g14: 0}, 2},
	}
	for _, c := range cases {
		hs := make([]*format.FileHeader, len(c.files))
		for i, f := range c.files {
			hs[i] = f.Header
		}
		if got := SharedReplayStart(hs, c.cond); got != c.want {
			t.Errorf("%s: begin %d, want %d", c.name, got, c.want)
		}
	}
}
