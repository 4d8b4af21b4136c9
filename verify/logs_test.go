package verify

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/vfs"
)

const fixtureDir = "../format/testdata/pegasus"

func realPlog(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, "log.1.0.handle_real_private_log"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFiles(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// twoFiles writes a plog of gpid 1.4 in two files; the first may be cut to
// cut bytes, and the second starts where the first's valid data ends
// unless start says otherwise.
func twoFiles(t *testing.T, cut int, start int64) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	g := gpid.Gpid{App: 1, Partition: 4}
	w := format.NewLogWriter(dir, 0, 0, []format.ReplicaLogInfo{{Gpid: g}}, format.WriterOptions{})
	for d := int64(1); d <= 5; d++ {
		m := &format.Mutation{Gpid: g, Ballot: 1, Decree: d, LastCommittedDecree: d - 1, Updates: []format.Update{{Code: "RPC_REPLICATION_WRITE_EMPTY"}}}
		if err := w.Append(m); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	first, _ := os.ReadFile(filepath.Join(dir, "log.1.0"))
	if cut > 0 {
		first = first[:cut]
	}
	// The valid end of the first file: whole blocks only.
	s := scanOne(t, first)
	if start < 0 {
		start = s.EndOffset()
	}
	w2 := format.NewLogWriter(dir, 1, start, []format.ReplicaLogInfo{{Gpid: g}}, format.WriterOptions{})
	for d := int64(6); d <= 8; d++ {
		m := &format.Mutation{Gpid: g, Ballot: 1, Decree: d, LastCommittedDecree: d - 1, Updates: []format.Update{{Code: "RPC_REPLICATION_WRITE_EMPTY"}}}
		if err := w2.Append(m); err != nil {
			t.Fatal(err)
		}
	}
	w2.Close()
	second, _ := os.ReadFile(filepath.Join(dir, format.FileName(2, start)))
	return map[string][]byte{"log.1.0": first, format.FileName(2, start): second}
}

func scanOne(t *testing.T, b []byte) *format.FileScan {
	t.Helper()
	dir := writeFiles(t, map[string][]byte{"log.1.0": b})
	s, err := format.ScanFile(vfs.OS, format.LogFile{Path: filepath.Join(dir, "log.1.0"), Index: 1, Size: int64(len(b))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func severities(r *DirReport) map[finding.Class]int {
	m := map[finding.Class]int{}
	for _, f := range r.Findings {
		m[f.Class]++
	}
	return m
}

// The directory rules of mutation_log::open and mutation_log::replay
// (src/replica/mutation_log.cpp, mutation_log_replay.cpp).
func TestLogDirRules(t *testing.T) {
	g := gpid.Gpid{App: 1, Partition: 4}
	real := realPlog(t)
	cases := []struct {
		name       string
		files      map[string][]byte
		ok         bool
		sev        map[finding.Class]int
		lastIntact int64
	}{
		{"real Pegasus plog", map[string][]byte{"log.1.0": real}, true, map[finding.Class]int{}, 7},
		{"torn tail of the last file is tolerated", map[string][]byte{"log.1.0": real[:len(real)-3]}, true, map[finding.Class]int{finding.TornTail: 1}, 6},
		{"bad CRC mid-file refuses the log", map[string][]byte{"log.1.0": flip(real, 600)}, false, map[finding.Class]int{finding.Corrupt: 1}, 4},
		{"renamed files are skipped", map[string][]byte{"log.1.0": real, "log.2.917.removed": real}, true, map[finding.Class]int{finding.Warning: 1}, 7},
		{"torn middle file with the next file at its valid end (what Pegasus writes after a crash)", twoFiles(t, 500, -1), true, map[finding.Class]int{finding.TornTail: 1}, 8},
		{"next file not at the previous valid end", twoFiles(t, 0, 1), false, map[finding.Class]int{finding.Corrupt: 1}, 5},
		{"missing index (check_log_files_continuity)", renameSecond(twoFiles(t, 0, -1), 3), false, map[finding.Class]int{finding.Corrupt: 1}, 0},
		{"empty last file is skipped", map[string][]byte{"log.1.0": real, "log.2.917": nil}, true, map[finding.Class]int{finding.TornTail: 1}, 7},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeFiles(t, c.files)
			reps, err := LogDirs([]DirSpec{{Path: dir, Kind: Plog, Owner: &g}}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			r := reps[0]
			got := severities(r)
			if r.OK != c.ok || len(got) != len(c.sev) {
				t.Fatalf("ok=%v findings %+v; want ok=%v %v", r.OK, r.Findings, c.ok, c.sev)
			}
			for k, n := range c.sev {
				if got[k] != n {
					t.Errorf("%s: %d findings, want %d: %+v", k, got[k], n, r.Findings)
				}
			}
			if st := r.Gpids[g]; c.lastIntact > 0 && (st == nil || st.LastIntactDecree != c.lastIntact) {
				t.Errorf("last intact decree %+v, want %d", st, c.lastIntact)
			}
			for _, f := range r.Findings {
				if f.Class != finding.Warning && f.Path == "" {
					t.Errorf("finding without a path: %+v", f)
				} // Every finding of a plog dir belongs to its owner.
				if f.Gpid == nil || *f.Gpid != g {
					t.Errorf("finding without the owner's gpid: %+v", f)
				}
			}
		})
	}
}

// renameSecond gives the file that is not log.1.0 the index idx.
func renameSecond(files map[string][]byte, idx int32) map[string][]byte {
	out := map[string][]byte{}
	for name, b := range files {
		if name != "log.1.0" {
			_, start, _ := format.ParseFileName(name)
			name = format.FileName(idx, start)
		}
		out[name] = b
	}
	return out
}

func flip(b []byte, at int) []byte {
	c := append([]byte(nil), b...)
	c[at] ^= 1
	return c
}

func TestUnknownTaskCodeIsCorrupt(t *testing.T) {
	dir := t.TempDir()
	g := gpid.Gpid{App: 2, Partition: 0}
	w := format.NewLogWriter(dir, 0, 0, []format.ReplicaLogInfo{{Gpid: g}}, format.WriterOptions{})
	ok := &format.Mutation{Gpid: g, Ballot: 1, Decree: 1, Updates: []format.Update{{Code: "RPC_REPLICATION_WRITE_EMPTY"}}}
	bad := &format.Mutation{Gpid: g, Ballot: 1, Decree: 2, LastCommittedDecree: 1, Updates: []format.Update{{Code: "RPC_NOT_REGISTERED"}}}
	if err := w.Append(ok); err != nil {
		t.Fatal(err)
	}
	if err := w.Append(bad); err != nil {
		t.Fatal(err)
	}
	w.Close()
	reps, err := LogDirs([]DirSpec{{Path: dir, Kind: Plog, Owner: &g}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := reps[0].Files[0]
	if reps[0].OK || f.Status != finding.Corrupt || f.ErrorOffset != 60+115 {
		t.Fatalf("%+v", f)
	}
}

// plogFile writes the plog file log.<idx>.<start> of gpid 1.4 into dir: its
// header carrying max_decree headerMax, then one mutation per decree. It
// returns the file's end offset, where the next file starts.
func plogFile(t *testing.T, dir string, idx int32, start, headerMax int64, decrees ...int64) int64 {
	t.Helper()
	g := gpid.Gpid{App: 1, Partition: 4}
	w := format.NewLogWriter(dir, idx-1, start, []format.ReplicaLogInfo{{Gpid: g, MaxDecree: headerMax}}, format.WriterOptions{})
	for _, d := range decrees {
		m := &format.Mutation{Gpid: g, Ballot: 1, Decree: d, LastCommittedDecree: d - 1, Updates: []format.Update{{Code: "RPC_REPLICATION_WRITE_EMPTY"}}}
		if err := w.Append(m); err != nil {
			t.Fatal(err)
		}
	}
	if len(decrees) == 0 {
		if err := w.StartFile(); err != nil { // the header alone
			t.Fatal(err)
		}
	}
	w.Close()
	fi, err := os.Stat(filepath.Join(dir, format.FileName(idx, start)))
	if err != nil {
		t.Fatal(err)
	}
	return start + fi.Size()
}

// A file header's max_decree is the writer's in-memory max decree when it
// created the file (mutation_log::create_new_log_file): the max over the
// files before it, their headers included. Above that is worth a warning
// (a learning reset, or a damaged header); a first file has nothing before
// it to be above, whatever its index.
func TestHeaderMaxDecreeAboveTheFilesBefore(t *testing.T) {
	const warning = "is above the"
	for _, c := range []struct {
		name  string
		files func(t *testing.T, dir string)
		warn  bool
	}{
		{"a replica that learned before writing: log.1.0 starts above 0", func(t *testing.T, dir string) {
			plogFile(t, dir, 1, 0, 50, 51, 52, 53)
		}, false},
		{"older files collected: the first file left starts above 0", func(t *testing.T, dir string) {
			plogFile(t, dir, 3, 9000, 40, 41, 42)
		}, false},
		{"a header carries forward the header before it", func(t *testing.T, dir string) {
			end := plogFile(t, dir, 1, 0, 50)
			plogFile(t, dir, 2, end, 50, 51, 52)
		}, false},
		{"a header above every file before it", func(t *testing.T, dir string) {
			end := plogFile(t, dir, 1, 0, 0, 1, 2, 3)
			plogFile(t, dir, 2, end, 9, 10)
		}, true},
		{"a header above every file before it, in a collected log", func(t *testing.T, dir string) {
			end := plogFile(t, dir, 3, 9000, 40, 41, 42)
			plogFile(t, dir, 4, end, 60, 61)
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			c.files(t, dir)
			g := gpid.Gpid{App: 1, Partition: 4}
			reps, err := LogDirs([]DirSpec{{Path: dir, Kind: Plog, Owner: &g}}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			warned := false
			for _, f := range reps[0].Findings {
				if strings.Contains(f.Message, warning) {
					warned = true
				} else {
					t.Errorf("unexpected finding: %v", f)
				}
			}
			if warned != c.warn {
				t.Fatalf("warned %v, want %v: %v", warned, c.warn, reps[0].Findings)
			}
		})
	}
}
