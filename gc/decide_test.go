package gc

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/gpid"
)

// ml24 = apache/incubator-pegasus v2.4.0 src/rdsn/src/replica/mutation_log.cpp,
// ml25 = v2.5.0 src/replica/mutation_log.cpp, rs24/rs25 their replica_stub.cpp.

var (
	g11 = gpid.Gpid{App: 1, Partition: 1}
	g12 = gpid.Gpid{App: 1, Partition: 2}
	g13 = gpid.Gpid{App: 1, Partition: 3}
)

const now = 1_700_000_000

// pf is a plog file of 100 bytes: index i (start offset (i-1)*100), header
// max decree h, written age seconds ago.
func pf(i int32, h int64, age int64) PlogFile {
	return PlogFile{Path: fmt.Sprintf("plog/log.%d.%d", i, (i-1)*100), Index: i, StartOffset: int64(i-1) * 100, Size: 100,
		HeaderMaxDecree: h, HeaderHasGpid: true, Mtime: now - age, MtimeOK: true}
}

func verdicts(fs []FileDecision) string {
	var b strings.Builder
	for _, f := range fs {
		if f.Verdict == Delete {
			b.WriteByte('D')
		} else if len(f.BlockedBy) > 0 {
			b.WriteByte('B')
		} else {
			b.WriteByte('k')
		}
	}
	return b.String()
}

// Every branch of the private-log GC, mutation_log::garbage_collection(gpid,
// cleanable_decree, valid_start_offset, reserve_max_size, reserve_max_time),
// ml24 L1288-1411 (the same at v2.5.0 L1278 and HEAD), with
// should_reserve_file ml24 L1253-1286. Verdicts oldest first: D delete,
// B kept and blocked by the replica, k kept by the rule.
func TestDecidePlog(t *testing.T) {
	old := int64(100_000) // written long ago
	three := []PlogFile{pf(1, 0, old), pf(2, 10, old), pf(3, 20, old)}
	base := func() PlogInput {
		return PlogInput{Gpid: g11, Files: three, MaxDecree: 30, CurrentIndex: -1, Cleanable: 25, Durable: 25, Now: now}
	}
	cases := []struct {
		name string
		edit func(*PlogInput)
		want string
		why  string // a word of the reason of the last file that matters
	}{
		{"L1308 one file: nothing to do", func(in *PlogInput) { in.Files = three[2:]; in.Cleanable = 100 }, "k", "only file"},
		{"L1308 no file", func(in *PlogInput) { in.Files = nil }, "", ""},
		{"L1351 cleanable covers the older files only: newest blocked", nil, "DDB", "above the cleanable"},
		{"L1351 cleanable below every header: all blocked", func(in *PlogInput) { in.Cleanable = 5 }, "BBB", ""},
		{"L1351 cleanable covers the newest, nothing appended since open (cur -1): all go (§13.1 derived)", func(in *PlogInput) { in.Cleanable = 30 }, "DDD", "covered by the cleanable"},
		{"L1328 the current file is kept, the older ones go", func(in *PlogInput) { in.Cleanable = 30; in.CurrentIndex = 3 }, "DDk", "current file"},
		{"L1339 valid_start_offset at a file's end: it and older go", func(in *PlogInput) { in.Cleanable = 0; in.ValidStartOffset = 200 }, "DDB", "valid_start_offset"},
		{"L1339 valid_start_offset inside a file: that file stays", func(in *PlogInput) { in.Cleanable = 0; in.ValidStartOffset = 150 }, "DBB", ""},
		{"L1258 reserve limits 0 (code default 2.4/2.5): no reserve", func(in *PlogInput) { in.Cleanable = 30; in.Files = []PlogFile{pf(1, 0, 5), pf(2, 10, 5), pf(3, 20, 5)} }, "DDD", ""},
		{"L1258 one limit 0: no reserve", func(in *PlogInput) {
			in.Cleanable = 30
			in.ReserveMaxSize, in.ReserveMaxTime = 1000*MiB, 0
			in.Files = []PlogFile{pf(1, 0, 5), pf(2, 10, 5), pf(3, 20, 5)}
		}, "DDD", ""},
		{"L1285 shipped defaults 1000 MiB / 36000 s: recent files are reserved", func(in *PlogInput) {
			in.Cleanable = 30
			in.ReserveMaxSize, in.ReserveMaxTime = 1000*MiB, 36000
			in.Files = []PlogFile{pf(1, 0, 5), pf(2, 10, 5), pf(3, 20, 5)}
		}, "kkk", "reserved"},
		{"L1279 shipped defaults: files older than 36000 s are not reserved", func(in *PlogInput) {
			in.Cleanable = 30
			in.ReserveMaxSize, in.ReserveMaxTime = 1000*MiB, 36000
			in.Files = []PlogFile{pf(1, 0, 36001), pf(2, 10, 36001), pf(3, 20, 5)}
		}, "DDk", "covered by the cleanable"},
		{"L1262 size limit reached: older files are not reserved", func(in *PlogInput) {
			in.Cleanable = 30
			in.ReserveMaxSize, in.ReserveMaxTime = 200, 36000
			in.Files = []PlogFile{pf(1, 0, 5), pf(2, 10, 5), pf(3, 20, 5)}
		}, "Dkk", ""},
		{"L1270-1273 mtime unreadable: reserved for safety", func(in *PlogInput) {
			in.Cleanable = 30
			in.ReserveMaxSize, in.ReserveMaxTime = 1000*MiB, 36000
			f := pf(3, 20, old)
			f.MtimeOK = false
			in.Files = []PlogFile{pf(1, 0, old), pf(2, 10, old), f}
		}, "DDk", "covered"},
		{"offline guard: never empty a plog", func(in *PlogInput) { in.Cleanable = 30; in.KeepNewest = true }, "DDk", "waltool keeps the newest"},
		{"offline guard, two files", func(in *PlogInput) { in.Cleanable = 30; in.KeepNewest = true; in.Files = three[1:] }, "Dk", "waltool keeps"},
	}
	for _, c := range cases {
		in := base()
		if c.edit != nil {
			c.edit(&in)
		}
		d := DecidePlog(in)
		if got := verdicts(d.Files); got != c.want || len(d.Findings) > 0 {
			t.Errorf("%s: got %q, want %q (%v)", c.name, got, c.want, d.Findings)
			continue
		}
		if c.why != "" {
			found := false
			for _, f := range d.Files {
				found = found || strings.Contains(f.Reason, c.why)
			}
			if !found {
				t.Errorf("%s: no reason says %q: %+v", c.name, c.why, d.Files)
			}
		}
	}
}

// The blocker names the decree it needs (the max decree the file covers)
// and the one it has; ml24 L1363-1366: an older file's max decree is the
// header of the file after it.
func TestDecidePlogBlocker(t *testing.T) {
	d := DecidePlog(PlogInput{Gpid: g11, Files: []PlogFile{pf(1, 0, 0), pf(2, 10, 0), pf(3, 20, 0)}, MaxDecree: 30, CurrentIndex: -1, Cleanable: 15, Durable: 15, Now: now})
	if got := verdicts(d.Files); got != "DBB" {
		t.Fatal(got)
	}
	want := []Blocker{{Gpid: g11, NeedsDecree: 20, DurableDecree: 15}}
	if !cmp.Equal(d.Files[1].BlockedBy, want) || d.Files[2].BlockedBy[0].NeedsDecree != 30 {
		t.Fatalf("%+v", d.Files)
	}
}

// ml24 L1365: a kept file whose header lacks the gpid aborts the server
// (dassert "impossible for private logs") before anything is deleted.
func TestDecidePlogHeaderLacksGpid(t *testing.T) {
	f3 := pf(3, 20, 0)
	f3.HeaderHasGpid = false
	d := DecidePlog(PlogInput{Gpid: g11, Files: []PlogFile{pf(1, 0, 0), pf(2, 10, 0), f3}, MaxDecree: 30, CurrentIndex: -1, Cleanable: 25, Now: now})
	if got := verdicts(d.Files); got != "kkk" || len(d.Findings) != 1 || d.Findings[0].Class != finding.Corrupt || *d.Findings[0].Gpid != g11 || d.Findings[0].Path != f3.Path {
		t.Fatalf("%s %+v", verdicts(d.Files), d.Findings)
	}
	// A deletable file's header is never read: no abort.
	d = DecidePlog(PlogInput{Gpid: g11, Files: []PlogFile{pf(1, 0, 0), pf(2, 10, 0), f3}, MaxDecree: 30, CurrentIndex: -1, Cleanable: 30, Now: now})
	if len(d.Findings) != 0 || verdicts(d.Files) != "DDD" {
		t.Fatalf("%s %+v", verdicts(d.Files), d.Findings)
	}
}

// sf is a slog file of 100 bytes with index i and header h.
func sf(i int32, h map[gpid.Gpid]int64) SlogFile {
	return SlogFile{Path: fmt.Sprintf("slog/log.%d.%d", i, (i-1)*100), Index: i, StartOffset: int64(i-1) * 100, Size: 100, Header: h}
}

type hm = map[gpid.Gpid]int64

func cond(g gpid.Gpid, durable, maxCommit, vso int64) Condition {
	return Condition{Gpid: g, Durable: durable, HasPlog: true, PlogMaxCommit: maxCommit, ValidStartOffset: vso}
}

// Every branch of both slog rules: ≤ 2.4 mutation_log::garbage_collection(
// gc_condition, file_count_limit, prevent) ml24 L1413-1700 with rs24
// replica_stub::on_gc L1706-1835, and 2.5 mutation_log::garbage_collection(
// replica_durable_decrees, prevent) ml25 L1506-1596 with can_gc_replica_slog
// L1430-1504 and rs25 replica_stub::gc_slog L1775-1838. Verdicts oldest first.
func TestDecideSlog(t *testing.T) {
	three := []SlogFile{sf(1, hm{}), sf(2, hm{g11: 10, g12: 10}), sf(3, hm{g11: 20, g12: 20})}
	inMem := hm{g11: 30, g12: 30}
	cases := []struct {
		name    string
		rule    Rule
		files   []SlogFile
		inMem   hm
		conds   []Condition
		limit   int
		keep    bool
		want    string
		prevent []gpid.Gpid
	}{
		{"ml24 L1433: the lone last file is never deleted under 2.4", Rule24, three[2:], hm{g11: 30}, []Condition{cond(g11, 100, 100, 0)}, 100, false, "k", nil},
		{"ml25 L1506: 2.5 has no len<=1 guard: the last file goes", Rule25, three[2:], hm{g11: 30}, []Condition{cond(g11, 100, 100, 0)}, 64, false, "D", nil},
		{"ml24 L1472 / §13.2: 2.4 never appends (current -1): every file goes, the newest too", Rule24, three, inMem, []Condition{cond(g11, 30, 30, 0), cond(g12, 30, 30, 0)}, 100, false, "DDD", nil},
		{"ml24 L1528: newest blocked by 1.2, older covered", Rule24, three, inMem, []Condition{cond(g11, 30, 30, 0), cond(g12, 25, 30, 0)}, 100, false, "DDB", nil},
		{"ml25 L1466/L1565: the same under 2.5, and 1.2 is flushed", Rule25, three, inMem, []Condition{cond(g11, 30, 30, 0), cond(g12, 25, 30, 0)}, 64, false, "DDB", []gpid.Gpid{g12}},
		{"rs24 L1767: condition min(durable, plog max commit): the plog lags", Rule24, three, inMem, []Condition{cond(g11, 30, 15, 0), cond(g12, 30, 30, 0)}, 100, false, "DBB", nil},
		{"ml24 L1528: both block every file", Rule25, three, inMem, []Condition{cond(g11, 5, 30, 0), cond(g12, 5, 30, 0)}, 64, false, "BBB", []gpid.Gpid{g11, g12}},
		{"ml24 L1494: a gpid absent from the max decrees (vso 0) is kicked", Rule24, three, hm{g11: 30, g13: 0}, []Condition{cond(g11, 30, 30, 0), cond(g13, 0, 0, 0)}, 100, false, "DDD", nil},
		{"ml24 L1513: init_offset_in_shared_log past a file's end: that file and older are free of the replica", Rule24,
			three, hm{g11: 30, g12: 30}, []Condition{cond(g11, 30, 30, 0), cond(g12, 0, 0, 200)}, 100, false, "DDB", nil},
		{"ml24 L1513: init_offset_in_shared_log inside log.2: log.2 stays, log.1 is free of the replica", Rule24,
			three, hm{g11: 30, g12: 30}, []Condition{cond(g11, 30, 30, 0), cond(g12, 0, 0, 150)}, 100, false, "DBB", nil},
		// Learning reset: 1.2's max decree in the header of log.3 (its
		// decrees in log.1-2) is 100, but after the reset the slog's
		// in-memory max for it is 12. Both rules test every replica (no
		// break at the first blocker, unlike the replay filter): 1.2 is
		// kicked out at log.3 although 1.1 blocks it, so its old 100 never
		// blocks log.1-2.
		{"ml24 L1476-1582: learning reset, every replica is tested (no break)", Rule24,
			[]SlogFile{sf(1, hm{}), sf(2, hm{g11: 10, g12: 90}), sf(3, hm{g11: 20, g12: 100})}, hm{g11: 50, g12: 12},
			[]Condition{cond(g11, 40, 40, 0), cond(g12, 12, 12, 0)}, 100, false, "DDB", nil},
		{"no replica loaded: nothing holds a file (2.4, two files or more)", Rule24, three, hm{}, nil, 100, false, "DDD", nil},
		{"waltool's offline guard for a 2.3 server, which writes the slog", Rule24, three, inMem, []Condition{cond(g11, 30, 30, 0), cond(g12, 30, 30, 0)}, 100, true, "DDk", nil},
		{"ml24 L1578: limit 1, 3 files blocked: blockers of files counted beyond the limit", Rule24, three, inMem, []Condition{cond(g11, 15, 30, 0), cond(g12, 30, 30, 0)}, 1, false, "DBB", []gpid.Gpid{g11}},
		{"ml24 L1578: within the limit: no prevent set", Rule24, three, inMem, []Condition{cond(g11, 15, 30, 0), cond(g12, 30, 30, 0)}, 2, false, "DBB", nil},
	}
	for _, c := range cases {
		d := DecideSlog(SlogInput{Rule: c.rule, Files: c.files, InMemory: c.inMem, Conditions: c.conds, CurrentIndex: -1, FileCountLimit: c.limit, FlushLimit: c.limit, KeepNewest: c.keep})
		if got := verdicts(d.Files); got != c.want || len(d.Findings) > 0 || !cmp.Equal(d.Prevent, c.prevent) {
			t.Errorf("%s: got %q prevent %v, want %q prevent %v (%v)", c.name, got, d.Prevent, c.want, c.prevent, d.Findings)
		}
		if d.Remaining != strings.Count(c.want, "k")+strings.Count(c.want, "B") {
			t.Errorf("%s: remaining %d", c.name, d.Remaining)
		}
	}
}

// The blockers of a learning-reset file: the decree needed comes from the
// right map (in-memory for the newest file, the next header otherwise).
func TestDecideSlogBlockerDecrees(t *testing.T) {
	files := []SlogFile{sf(1, hm{}), sf(2, hm{g11: 10}), sf(3, hm{g11: 20})}
	d := DecideSlog(SlogInput{Rule: Rule25, Files: files, InMemory: hm{g11: 30}, Conditions: []Condition{cond(g11, 12, 40, 0)}, CurrentIndex: -1, FlushLimit: 64})
	if verdicts(d.Files) != "DBB" {
		t.Fatal(verdicts(d.Files))
	}
	mc := int64(40)
	if want := []Blocker{{Gpid: g11, NeedsDecree: 20, DurableDecree: 12, PlogMaxCommit: &mc}}; !cmp.Equal(d.Files[1].BlockedBy, want) || d.Files[2].BlockedBy[0].NeedsDecree != 30 {
		t.Fatalf("%+v", d.Files)
	}
}

// ml24 L1494-1511 / ml25 L1440-1453: a replica absent from a file's max
// decrees whose valid start offset is neither 0 nor past the file's end
// CHECK-aborts the server; nothing is deleted.
func TestDecideSlogCheck(t *testing.T) {
	files := []SlogFile{sf(1, hm{}), sf(2, hm{}), sf(3, hm{g11: 5})}
	for _, r := range []Rule{Rule24, Rule25} {
		d := DecideSlog(SlogInput{Rule: r, Files: files, InMemory: hm{g11: 5, g12: 0}, Conditions: []Condition{cond(g11, 0, 0, 0), cond(g12, 0, 0, 150)}, CurrentIndex: -1, FileCountLimit: 100})
		// log.3: 1.1 blocks (5 > 0), 1.2 is in memory (0 <= 0): kicked.
		// So no abort here; put 1.2 in no map to reach the CHECK.
		if len(d.Findings) != 0 {
			t.Fatalf("%s: %v", r, d.Findings)
		}
		d = DecideSlog(SlogInput{Rule: r, Files: files, InMemory: hm{g11: 5}, Conditions: []Condition{cond(g11, 0, 0, 0), cond(g12, 0, 0, 150)}, CurrentIndex: -1, FileCountLimit: 100})
		if len(d.Findings) != 1 || d.Findings[0].Class != finding.Corrupt || *d.Findings[0].Gpid != g12 || verdicts(d.Files) != "kkk" {
			t.Fatalf("%s: %s %v", r, verdicts(d.Files), d.Findings)
		}
	}
}

// A replica with no plog object: the condition is its durable decree (rs24
// L1776, rs25 L1802). A loaded replica always has one, empty when its dir
// was missing, so max_commit_on_disk 0 holds every slog file with its
// decrees (rs24 L1767): the slog alone has them.
func TestConditionWithoutPlog(t *testing.T) {
	if c := (Condition{Durable: 50}); c.MaxDecree() != 50 {
		t.Fatal(c.MaxDecree())
	}
	if c := cond(g11, 50, 0, 0); c.MaxDecree() != 0 {
		t.Fatal(c.MaxDecree())
	}
	files := []SlogFile{sf(1, hm{}), sf(2, hm{g11: 10})}
	d := DecideSlog(SlogInput{Rule: Rule25, Files: files, InMemory: hm{g11: 20}, Conditions: []Condition{cond(g11, 50, 0, 0)}, CurrentIndex: -1})
	if verdicts(d.Files) != "BB" {
		t.Fatal(verdicts(d.Files))
	}
	d = DecideSlog(SlogInput{Rule: Rule25, Files: files, InMemory: hm{g11: 20}, Conditions: []Condition{{Gpid: g11, Durable: 50}}, CurrentIndex: -1})
	if verdicts(d.Files) != "DD" {
		t.Fatal(verdicts(d.Files))
	}
}

// The emergency checkpoints after a pass: rs24 L1791-1830 (more than 2×limit
// files left: all replicas; more than limit: prevent_gc_replicas), rs25
// flush_replicas_for_slog_gc L1893-1944 (every blocker, at most
// log_shared_gc_flush_replicas_limit in gpid order, 0 = no limit).
func TestEmergencyCheckpoints(t *testing.T) {
	three := []SlogFile{sf(1, hm{}), sf(2, hm{g11: 10, g12: 10, g13: 10}), sf(3, hm{g11: 20, g12: 20, g13: 20})}
	in := hm{g11: 30, g12: 30, g13: 30}
	conds := []Condition{cond(g13, 5, 30, 0), cond(g11, 5, 30, 0), cond(g12, 5, 30, 0)}
	cases := []struct {
		rule  Rule
		limit int
		want  []gpid.Gpid
	}{
		{Rule24, 1, []gpid.Gpid{g11, g12, g13}}, // 3 > 2×1: all
		{Rule24, 2, []gpid.Gpid{g11, g12, g13}}, // 3 > 2: prevent = blockers of log.1 (count 3 > 2)
		{Rule24, 3, nil},                        // 3 files, limit 3: none
		{Rule25, 2, []gpid.Gpid{g11, g12}},      // limit 2 in gpid order
		{Rule25, 0, []gpid.Gpid{g11, g12, g13}}, // 0: no limit
	}
	for _, c := range cases {
		d := DecideSlog(SlogInput{Rule: c.rule, Files: three, InMemory: in, Conditions: conds, CurrentIndex: -1, FileCountLimit: c.limit, FlushLimit: c.limit})
		if !cmp.Equal(d.Checkpoint, c.want) {
			t.Errorf("%s limit %d: %v, want %v (%s)", c.rule, c.limit, d.Checkpoint, c.want, d.CheckpointWhy)
		}
	}
}
