package serversim

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/fixtures"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/format/slog"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/pegasus"
	"github.com/waltool/waltool/replay"
	"github.com/waltool/waltool/verify"
	"github.com/waltool/waltool/vfs"
)

// The generated 2.3 root every test copies: two apps (the second created
// after the slog has data, so its replicas' init_offset_in_shared_log is
// > 0), a learning reset and a restart, two disks, small files.
var (
	genOnce sync.Once
	genMan  *fixtures.Manifest
	genErr  error
	genDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if genDir != "" {
		os.RemoveAll(genDir)
	}
	os.Exit(code)
}

func generated(t *testing.T) *fixtures.Manifest {
	t.Helper()
	genOnce.Do(func() {
		genDir, genErr = os.MkdirTemp("", "serversim-root-")
		if genErr != nil {
			return
		}
		genMan, genErr = fixtures.Generate(fixtures.Options{Out: filepath.Join(genDir, "root"), Seed: 7, Apps: 2, Replicas: 3,
			Mutations: 1200, ValueSize: 20, Disks: 2, SlogFileSize: 16 << 10, PlogFileSize: 8 << 10})
	})
	if genErr != nil {
		t.Fatal(genErr)
	}
	return genMan
}

// testRoot is a copy of the generated root in t.TempDir().
type testRoot struct {
	dir, dataDirs, slogDir string
}

func copyRoot(t *testing.T) *testRoot {
	t.Helper()
	m := generated(t)
	dst := filepath.Join(t.TempDir(), "root")
	err := filepath.WalkDir(m.Root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(m.Root, p)
		out := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return &testRoot{dir: dst, dataDirs: strings.ReplaceAll(m.DataDirs, m.Root, dst), slogDir: filepath.Join(dst, "replica", "slog")}
}

func (tr *testRoot) open(t *testing.T) *dataroot.Root {
	t.Helper()
	r, err := dataroot.Open(dataroot.Options{Root: tr.dir, Server: dataroot.Flags("", tr.dataDirs), FS: vfs.OS})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Replicas) == 0 {
		t.Fatal("no replicas")
	}
	return r
}

// emptySlog removes the slog files, leaving the dir: a plog-only root as
// far as a server is concerned (what the plogs lacked of the slog is gone,
// which only moves the baseline the new writes start from).
func (tr *testRoot) emptySlog(t *testing.T) {
	t.Helper()
	ents, err := os.ReadDir(tr.slogDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if err := os.Remove(filepath.Join(tr.slogDir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
}

// raiseSharedOffsets sets every replica's init_offset_in_shared_log to at
// least the old slog's end, as if each had been created or reset when the
// slog was that long, and returns the largest value.
func (tr *testRoot) raiseSharedOffsets(t *testing.T, r *dataroot.Root) int64 {
	t.Helper()
	end := generated(t).Slog.EndOffset
	var top int64
	for _, dr := range r.Replicas {
		ii := *dr.InitInfo
		ii.InitOffsetInSharedLog = max(ii.InitOffsetInSharedLog, end)
		top = max(top, ii.InitOffsetInSharedLog)
		if err := dataroot.WriteInitInfo(vfs.OS, filepath.Join(dr.Dir, dataroot.InitInfoFile), ii); err != nil {
			t.Fatal(err)
		}
	}
	return top
}

func write(t *testing.T, r *dataroot.Root, o Options) *Result {
	t.Helper()
	res, err := Write(vfs.OS, r, o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func lost(t *testing.T, r *dataroot.Root, v pegasus.Version, acked []Acked) []LostWrite {
	t.Helper()
	l, err := Lost(vfs.OS, r, v, acked)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func gpids(r *dataroot.Root) []gpid.Gpid {
	var out []gpid.Gpid
	for _, dr := range r.Replicas {
		out = append(out, dr.Gpid)
	}
	return out
}

// checkAcked: every loaded replica acknowledged at least Mutations writes,
// at consecutive decrees under one new ballot.
func checkAcked(t *testing.T, r *dataroot.Root, res *Result, n int) {
	t.Helper()
	per := map[gpid.Gpid][]Acked{}
	for _, a := range res.Acked {
		per[a.Gpid] = append(per[a.Gpid], a)
	}
	for _, g := range gpids(r) {
		as := per[g]
		if len(as) < n {
			t.Errorf("%s: %d acked writes, want >= %d", g, len(as), n)
			continue
		}
		slices.SortFunc(as, func(a, b Acked) int { return int(a.Decree - b.Decree) })
		for i, a := range as {
			if a.Ballot != as[0].Ballot || a.Decree != as[0].Decree+int64(i) || len(a.Hash) != 64 {
				t.Errorf("%s: acked %+v after %+v", g, a, as[0])
				break
			}
		}
	}
}

// checkVerify: verify reads the result as Pegasus does and finds nothing
// worse than the crash's torn tails.
func checkVerify(t *testing.T, r *dataroot.Root) {
	t.Helper()
	rep, err := verify.Root(r, verify.Options{FS: vfs.OS})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rep.All() {
		if f.Class.Fatal() {
			t.Errorf("verify: %v", f)
		}
	}
}

// The next writes of a 2.4/2.5/2.6 server are safe on a plog-only root:
// each acknowledged mutation was appended to its plog (a new file
// log.<last+1>.<end>, mutation_log::open + create_new_log_file) and synced
// before the ack (replica::on_append_log_completed after rdsn #1007), so
// the next start of the same version (replica::init_app_and_prepare_list,
// mutation_log::replay, prepare_list::prepare) recovers every one, the
// torn unacknowledged block at the crash notwithstanding. Nothing goes to
// the slog dir.
func TestPlogServerWritesSurvive(t *testing.T) {
	for _, v := range []pegasus.Version{pegasus.V24, pegasus.V25, pegasus.V26} {
		t.Run(string(v), func(t *testing.T) {
			tr := copyRoot(t)
			tr.emptySlog(t)
			r := tr.open(t)
			res := write(t, r, Options{Version: v, Seed: 3, MaxFileSize: 2 << 10})
			checkAcked(t, r, res, DefaultMutations)
			if len(res.Torn) == 0 || res.Lagged != 0 || res.SlogStart != 0 {
				t.Errorf("torn %v, lagged %d, slog start %d", res.Torn, res.Lagged, res.SlogStart)
			}
			for _, a := range res.Acked {
				if !a.InPlog || a.SlogOffset != -1 {
					t.Fatalf("acked %+v", a)
				}
			}
			if ents, _ := os.ReadDir(tr.slogDir); len(ents) != 0 {
				t.Errorf("the %s server wrote to the slog dir: %v", v, ents)
			}
			for _, f := range res.Files {
				if !strings.HasPrefix(f, tr.dir) || strings.HasPrefix(f, tr.slogDir) {
					t.Errorf("file %s", f)
				}
			}
			if l := lost(t, r, v, res.Acked); len(l) != 0 {
				t.Fatalf("lost under %s: %v", v, l)
			}
			checkVerify(t, tr.open(t))
		})
	}
}

// On the generated 2.3 root itself (slog and lagging plogs), each version
// starts from what its replay recovers: 2.3 continues the slog at
// log.<last+1>.<end> (mutation_log::open); 2.4/2.5 re-append the slog's
// tail to the plogs (replica::replay_mutation) before writing; 2.6 ignores
// the slog. Every acknowledged write survives a restart of the same
// version.
func TestWritesSurviveOnA23Root(t *testing.T) {
	for _, v := range []pegasus.Version{pegasus.V23, pegasus.V24, pegasus.V25, pegasus.V26} {
		t.Run(string(v), func(t *testing.T) {
			tr := copyRoot(t)
			r := tr.open(t)
			start, err := replay.Run(r, replay.Options{Version: v})
			if err != nil {
				t.Fatal(err)
			}
			var appended int64
			for _, rr := range start.Replicas {
				appended += rr.AppendedFromSlog
			}
			res := write(t, r, Options{Version: v, Seed: 11, Mutations: 12})
			checkAcked(t, r, res, 12)
			if int64(res.Repaired) != appended || (appended > 0) != (v != pegasus.V26) {
				t.Errorf("the %s server re-appended %d slog mutations to the plogs at start, replay says %d", v, res.Repaired, appended)
			}
			if v == pegasus.V23 {
				m := generated(t)
				if res.Lagged == 0 || res.SlogStart <= m.Slog.EndOffset-1 {
					t.Errorf("lagged %d, slog start %d (old slog ends at %d)", res.Lagged, res.SlogStart, m.Slog.EndOffset)
				}
				last := m.Slog.Files[len(m.Slog.Files)-1]
				want := filepath.Join(tr.slogDir, format.FileName(last.Index+1, m.Slog.EndOffset))
				if !slices.Contains(res.Files, want) {
					t.Errorf("files %v, want %s", res.Files, want)
				}
			}
			if l := lost(t, r, v, res.Acked); len(l) != 0 {
				t.Fatalf("lost under %s: %v", v, l)
			}
			checkVerify(t, tr.open(t))
		})
	}
}

// The init-offset trap (pegasus-log-format.md section 21): a 2.3 server on
// a root whose slog dir is empty opens the slog at global offset 0
// (mutation_log::open: start = end = 0, first file log.1.0), but its
// replicas' .init-info keep init_offset_in_shared_log > 0. At the next
// start replica::replay_mutation skips every slog mutation with
// log_offset < init_offset_in_shared_log, so what only the slog held, the
// tail the asynchronous plog append had not written yet, is lost: exactly
// the lagged writes. A lagged decree the old plog held prepared comes back
// with that older, never acknowledged content.
func TestInitOffsetTrap(t *testing.T) {
	tr := copyRoot(t)
	tr.emptySlog(t)
	r := tr.open(t)
	tr.raiseSharedOffsets(t, r)
	r = tr.open(t)
	res := write(t, r, Options{Version: pegasus.V23, Seed: 5})
	if res.Lagged == 0 {
		t.Fatal("no lagged write")
	}
	if want := filepath.Join(tr.slogDir, "log.1.0"); !slices.Contains(res.Files, want) {
		t.Errorf("files %v, want %s", res.Files, want)
	}
	got := lost(t, r, pegasus.V23, res.Acked)
	if len(got) == 0 {
		t.Fatal("the trap lost nothing")
	}
	var want []string
	for _, a := range res.Acked {
		if !a.InPlog {
			want = append(want, a.Gpid.String()+"@"+itoa(a.Decree))
		}
	}
	var have []string
	for _, l := range got {
		have = append(have, l.Gpid.String()+"@"+itoa(l.Decree))
		if f := l.Finding(); f.Class != finding.Corrupt || f.Gpid == nil || *f.Gpid != l.Gpid || l.Dir == "" ||
			!strings.Contains(l.Why, "neither commits nor prepares") && !strings.Contains(l.Why, "other content") {
			t.Errorf("lost write %+v, finding %v", l, f)
		}
	}
	if !slices.Equal(have, want) {
		t.Errorf("lost %v, want the lagged writes %v", have, want)
	}
	// Under 2.4 the slog is read too, and the same skip applies.
	if l := lost(t, r, pegasus.V24, res.Acked); len(l) != len(got) {
		t.Errorf("lost under 2.4: %d, want %d", len(l), len(got))
	}
}

// The fix for the trap: a header-only slog file log.1.<X>, X the largest
// init_offset_in_shared_log, makes the 2.3 server continue the slog at
// log.2.<X + header> (mutation_log::open replays it and ends at its
// header), above every replica's valid start offset, so the next start
// replays every lagged write from the slog and loses nothing.
func TestHeaderOnlySlogFixesTheTrap(t *testing.T) {
	tr := copyRoot(t)
	tr.emptySlog(t)
	r := tr.open(t)
	x := tr.raiseSharedOffsets(t, r)
	w := slog.NewWriter(tr.slogDir, 0, x, nil, format.WriterOptions{FS: vfs.OS})
	if err := w.StartFile(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r = tr.open(t)
	res := write(t, r, Options{Version: pegasus.V23, Seed: 5})
	if res.Lagged == 0 || res.SlogStart <= x {
		t.Fatalf("lagged %d, slog start %d, X %d", res.Lagged, res.SlogStart, x)
	}
	if i := slices.IndexFunc(res.Files, func(f string) bool { return filepath.Dir(f) == tr.slogDir }); i < 0 ||
		!strings.HasPrefix(filepath.Base(res.Files[i]), "log.2.") {
		t.Errorf("first new slog file: %v", res.Files)
	}
	if l := lost(t, r, pegasus.V23, res.Acked); len(l) != 0 {
		t.Fatalf("lost under 2.3: %v", l)
	}
}

// Lost checks content, not just decrees: a write recovered with other
// bytes, or not at all, is lost.
func TestLostComparesContent(t *testing.T) {
	tr := copyRoot(t)
	tr.emptySlog(t)
	r := tr.open(t)
	res := write(t, r, Options{Version: pegasus.V26, Seed: 1, Mutations: 4})
	acked := slices.Clone(res.Acked)
	acked[0].Hash = strings.Repeat("0", 64)
	last := acked[len(acked)-1]
	last.Decree += 1000
	acked = append(acked, last)
	got := lost(t, r, pegasus.V26, acked)
	if len(got) != 2 || got[0].Decree != acked[0].Decree || !strings.Contains(got[0].Why, "other content") ||
		got[1].Decree != last.Decree || !strings.Contains(got[1].Why, "neither") {
		t.Fatalf("lost %+v", got)
	}
}

// Write is deterministic per seed: the same files, byte for byte, and the
// same acks; another seed writes something else.
func TestDeterministic(t *testing.T) {
	for _, v := range []pegasus.Version{pegasus.V23, pegasus.V25} {
		t.Run(string(v), func(t *testing.T) {
			run := func(seed int64) (*testRoot, *Result) {
				tr := copyRoot(t)
				tr.emptySlog(t)
				return tr, write(t, tr.open(t), Options{Version: v, Seed: seed, MaxFileSize: 4 << 10})
			}
			a, ra := run(9)
			b, rb := run(9)
			if !slices.Equal(ra.Acked, rb.Acked) || ra.Lagged != rb.Lagged || ra.SlogStart != rb.SlogStart || len(ra.Files) != len(rb.Files) {
				t.Fatalf("two runs differ:\n%+v\n%+v", ra, rb)
			}
			for i, f := range ra.Files {
				g := rb.Files[i]
				if strings.TrimPrefix(f, a.dir) != strings.TrimPrefix(g, b.dir) {
					t.Fatalf("files %s and %s", f, g)
				}
				fa, err1 := os.ReadFile(f)
				fb, err2 := os.ReadFile(g)
				if err1 != nil || err2 != nil || !bytes.Equal(fa, fb) {
					t.Fatalf("%s differs (%v, %v)", f, err1, err2)
				}
			}
			_, rc := run(10)
			if slices.Equal(ra.Acked, rc.Acked) {
				t.Error("seeds 9 and 10 wrote the same")
			}
		})
	}
}

// Memory is bounded by a batch: with large payloads, what Write keeps is
// its result (hashes), far less than the payloads it wrote.
func TestMemoryHoldsHashesOnly(t *testing.T) {
	defer func(n int) { valueBytes = n }(valueBytes)
	valueBytes = 32 << 10
	tr := copyRoot(t)
	tr.emptySlog(t)
	r := tr.open(t)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	res := write(t, r, Options{Version: pegasus.V23, Seed: 2, Mutations: 40})
	runtime.GC()
	runtime.ReadMemStats(&after)
	payload := int64(len(res.Acked)) * int64(valueBytes) / 2
	kept := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	if kept > payload/8 {
		t.Errorf("kept %d bytes after writing about %d bytes of payload", kept, payload)
	}
	runtime.KeepAlive(res)
}

func itoa(d int64) string { return strconv.FormatInt(d, 10) }

// A server that starts on what an earlier one wrote continues from its
// replay: the torn block is left behind (the next file starts at the valid
// end), a 2.3 server first re-appends its predecessor's lagging tail from
// the slog to the plogs (replica::replay_mutation), and the new primary
// re-proposes the last acknowledged decree, still prepared, at its ballot.
// Neither restart loses an acknowledged write that was not superseded.
func TestChainedWrites(t *testing.T) {
	for _, v := range []pegasus.Version{pegasus.V23, pegasus.V25} {
		t.Run(string(v), func(t *testing.T) {
			tr := copyRoot(t)
			tr.emptySlog(t)
			r := tr.open(t)
			x := tr.raiseSharedOffsets(t, r)
			w := slog.NewWriter(tr.slogDir, 0, x, nil, format.WriterOptions{FS: vfs.OS})
			if err := w.StartFile(); err != nil {
				t.Fatal(err)
			}
			w.Close()
			r = tr.open(t)
			first := write(t, r, Options{Version: v, Seed: 21})
			second := write(t, tr.open(t), Options{Version: v, Seed: 22})
			if v == pegasus.V23 && second.Repaired < first.Lagged {
				t.Errorf("re-appended %d, the first server left %d lagging", second.Repaired, first.Lagged)
			}
			all := append(slices.Clone(first.Acked), second.Acked...)
			if l := lost(t, tr.open(t), v, all); len(l) != 0 {
				t.Fatalf("lost: %v", l)
			}
			// The second server's writes supersede the first's last decree
			// of each replica: Lost compares that decree with the later ack.
			if l := lost(t, tr.open(t), v, first.Acked); len(l) == 0 {
				t.Error("the first server's last decrees survived their re-proposal")
			}
		})
	}
}

// recordingFS notes every path a Write changes through it.
type recordingFS struct {
	vfs.FS
	mu      sync.Mutex
	changed map[string]bool
}

func (r *recordingFS) note(p string) {
	r.mu.Lock()
	r.changed[filepath.Clean(p)] = true
	r.mu.Unlock()
}

func (r *recordingFS) Create(p string) (vfs.File, error) { r.note(p); return r.FS.Create(p) }
func (r *recordingFS) Rename(a, b string) error          { r.note(a); r.note(b); return r.FS.Rename(a, b) }
func (r *recordingFS) Remove(p string) error             { r.note(p); return r.FS.Remove(p) }
func (r *recordingFS) Truncate(p string, n int64) error  { r.note(p); return r.FS.Truncate(p, n) }
func (r *recordingFS) Mkdir(p string, m fs.FileMode) error {
	r.note(p)
	return r.FS.Mkdir(p, m)
}
func (r *recordingFS) MkdirAll(p string, m fs.FileMode) error {
	r.note(p)
	return r.FS.MkdirAll(p, m)
}

// snapshot maps every file of dir to its content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out[p] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Write touches the root only through the vfs.FS it is given (the real
// run hands it a copy-on-write one), and Lost not at all.
func TestWritesGoThroughFS(t *testing.T) {
	for _, v := range []pegasus.Version{pegasus.V23, pegasus.V24} {
		t.Run(string(v), func(t *testing.T) {
			tr := copyRoot(t)
			tr.emptySlog(t)
			os.Remove(tr.slogDir) // 2.3 creates it
			before := snapshot(t, tr.dir)
			rec := &recordingFS{FS: vfs.OS, changed: map[string]bool{}}
			res, err := Write(rec, tr.open(t), Options{Version: v, Seed: 4})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Lost(vfs.ReadOnly(vfs.OS), tr.open(t), v, res.Acked); err != nil {
				t.Fatal(err)
			}
			after := snapshot(t, tr.dir)
			for p, b := range after {
				if before[p] != b && !rec.changed[p] {
					t.Errorf("%s changed behind the FS", p)
				}
			}
			for p := range before {
				if _, ok := after[p]; !ok && !rec.changed[p] {
					t.Errorf("%s removed behind the FS", p)
				}
			}
			for _, f := range res.Files {
				if !rec.changed[f] {
					t.Errorf("%s listed as written, not written through the FS", f)
				}
			}
		})
	}
}

// A start replay handed in (Options.Start: the caller's own replay of the
// root under the version) is the server's start: the same writes as when
// Write replays the root itself. One of another version is refused.
func TestStartReplayHandedIn(t *testing.T) {
	for _, v := range []pegasus.Version{pegasus.V23, pegasus.V24} {
		a := copyRoot(t)
		a.emptySlog(t)
		ra := write(t, a.open(t), Options{Version: v, Seed: 3})
		b := copyRoot(t)
		b.emptySlog(t)
		r := b.open(t)
		start, err := replay.Run(r, replay.Options{Version: v})
		if err != nil {
			t.Fatal(err)
		}
		rb := write(t, r, Options{Version: v, Seed: 3, Start: start})
		if !slices.Equal(ra.Acked, rb.Acked) || ra.Lagged != rb.Lagged {
			t.Fatalf("%s: the writes differ with the start handed in", v)
		}
		other, _ := replay.Run(r, replay.Options{Version: pegasus.V26})
		if _, err := Write(vfs.OS, r, Options{Version: v, Start: other}); err == nil {
			t.Fatalf("%s: a 2.6 start replay taken", v)
		}
	}
}
