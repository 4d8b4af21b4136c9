package migrate

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/fixtures"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/internal/crashtest"
	"github.com/waltool/waltool/journal"
	"github.com/waltool/waltool/vfs"
)

func reps(disk int, sizes map[gpid.Gpid]int64) []BalanceReplica {
	var out []BalanceReplica
	for a := int32(1); a <= 4; a++ {
		for p := int32(0); p < 16; p++ {
			g := gpid.Gpid{App: a, Partition: p}
			if n, ok := sizes[g]; ok {
				out = append(out, BalanceReplica{Gpid: g, Name: fmt.Sprintf("%d.%d.pegasus", a, p), DataDir: disk, Bytes: n})
			}
		}
	}
	return out
}

func loads(k int, rs []BalanceReplica, moves []DirMove) ([]int, []int64, map[int32][]int) {
	c, b, apps := make([]int, k), make([]int64, k), map[int32][]int{}
	where := map[gpid.Gpid]int{}
	for _, r := range rs {
		where[r.Gpid] = r.DataDir
	}
	for _, m := range moves {
		if where[m.Gpid] != m.FromDataDir {
			panic("move from the wrong dir")
		}
		where[m.Gpid] = m.ToDataDir
	}
	for _, r := range rs {
		d := where[r.Gpid]
		c[d]++
		b[d] += r.Bytes
		if apps[r.Gpid.App] == nil {
			apps[r.Gpid.App] = make([]int, k)
		}
		apps[r.Gpid.App][d]++
	}
	return c, b, apps
}

func TestPlanMovesSkewed(t *testing.T) {
	sizes := map[gpid.Gpid]int64{}
	for a := int32(1); a <= 2; a++ {
		for p := int32(0); p < 4; p++ {
			sizes[gpid.Gpid{App: a, Partition: p}] = 1000
		}
	}
	rs := reps(0, sizes)
	disks := []BalanceDisk{{Device: 1}, {Device: 2}}
	moves := PlanMoves(disks, rs)
	c, b, apps := loads(2, rs, moves)
	if len(moves) != 4 || c[0] != 4 || c[1] != 4 || b[0] != b[1] {
		t.Fatalf("moves %v: counts %v bytes %v", moves, c, b)
	}
	for app, per := range apps {
		if per[0] != 2 || per[1] != 2 {
			t.Fatalf("app %d spread %v", app, per)
		}
	}
	for _, m := range moves {
		if !m.Copy {
			t.Fatalf("devices differ, the move should copy: %+v", m)
		}
	}
	if again := PlanMoves(disks, rs); !cmp.Equal(again, moves) {
		t.Fatalf("not deterministic:\n%v\n%v", again, moves)
	}
	// Three dirs, sizes that differ: the bytes within the tolerance
	// where the sizes allow it, counts within one.
	sizes = map[gpid.Gpid]int64{}
	for p := int32(0); p < 12; p++ {
		sizes[gpid.Gpid{App: 1, Partition: p}] = int64(1000 + 100*p)
	}
	rs = reps(0, sizes)
	moves = PlanMoves([]BalanceDisk{{}, {}, {}}, rs)
	c, b, apps = loads(3, rs, moves)
	mean := float64(b[0]+b[1]+b[2]) / 3
	for d := range 3 {
		if c[d] != 4 || float64(b[d]) < 0.9*mean || float64(b[d]) > 1.1*mean || apps[1][d] != 4 {
			t.Fatalf("moves %v: counts %v bytes %v (mean %.0f)", moves, c, b, mean)
		}
	}
}

func TestPlanMovesBalancedAndSpread(t *testing.T) {
	// Balanced by bytes and count: nothing moves.
	rs := append(reps(0, map[gpid.Gpid]int64{{App: 1, Partition: 0}: 500, {App: 2, Partition: 0}: 500}),
		reps(1, map[gpid.Gpid]int64{{App: 1, Partition: 1}: 500, {App: 2, Partition: 1}: 500})...)
	if moves := PlanMoves([]BalanceDisk{{}, {}}, rs); len(moves) != 0 {
		t.Fatalf("a balanced root moves %v", moves)
	}
	// Balanced by bytes and count, but each table on one dir: two moves
	// spread both tables.
	rs = append(reps(0, map[gpid.Gpid]int64{{App: 1, Partition: 0}: 500, {App: 1, Partition: 1}: 500}),
		reps(1, map[gpid.Gpid]int64{{App: 2, Partition: 0}: 500, {App: 2, Partition: 1}: 500})...)
	moves := PlanMoves([]BalanceDisk{{}, {}}, rs)
	c, _, apps := loads(2, rs, moves)
	if len(moves) != 2 || c[0] != 2 || apps[1][0] != 1 || apps[2][0] != 1 {
		t.Fatalf("moves %v: counts %v apps %v", moves, c, apps)
	}
	// A name taken in the target dir (a leftover 1.1.pegasus.ori) is never targeted.
	rs = reps(0, map[gpid.Gpid]int64{{App: 1, Partition: 0}: 500, {App: 1, Partition: 1}: 500})
	moves = PlanMoves([]BalanceDisk{{}, {Names: map[string]bool{"1.1.pegasus.ori": true}}}, rs)
	if len(moves) != 1 || moves[0].Gpid != (gpid.Gpid{App: 1, Partition: 0}) {
		t.Fatalf("moves %v", moves)
	}
	// One data dir, or no replica: nothing.
	if PlanMoves([]BalanceDisk{{}}, rs) != nil || PlanMoves([]BalanceDisk{{}, {}}, nil) != nil {
		t.Fatal("moves with one dir or no replica")
	}
}

// skewed generates a root with every replica on one data dir and adds a
// second, empty one (disk2, "another filesystem" through vfs.CrossDevice).
func skewed(t *testing.T, o fixtures.Options) (*fixtures.Manifest, string) {
	t.Helper()
	o.Disks = 1
	m := generate(t, o)
	disk2 := filepath.Join(m.Root, "disk2")
	if err := os.MkdirAll(filepath.Join(disk2, "replica", "reps"), 0o755); err != nil {
		t.Fatal(err)
	}
	m.DataDirs += ",disk2:" + disk2
	return m, disk2
}

// loadable lists the replica dirs the server loads, by name, with the data
// dirs holding each: one each, always.
func loadable(t *testing.T, m *fixtures.Manifest) map[string][]string {
	t.Helper()
	root := openRoot(t, m)
	out := map[string][]string{}
	for _, r := range root.Replicas {
		out[filepath.Base(r.Dir)] = append(out[filepath.Base(r.Dir)], r.DataDir.Path)
	}
	return out
}

// An upgrade with a rebalance on a root whose replicas all sit on one of
// two data dirs (the second on "another filesystem"): balanced by count
// and spread, the proof holds on the rebalanced root, and rollback gives
// the tree back byte for byte. Then a power loss at every sync point and
// name change of the rebalance phase (crashEverywhere), names kept or
// taken back: resume proves, rollback restores, and no crash leaves two
// loadable copies of a replica.
func TestUpgradeRebalance(t *testing.T) {
	// One move at a time: the crash points are then the same in each run.
	defer func(n int) { RebalanceWorkers = n }(RebalanceWorkers)
	RebalanceWorkers = 1
	opts := fixtures.Options{Seed: 5, Apps: 2, Replicas: 3, Mutations: 400, ValueSize: 30, SlogFileSize: 16 << 10, PlogFileSize: 8 << 10}
	run := func(t *testing.T, crashAt func(*vfs.Faulty)) (*fixtures.Manifest, *Plan, map[string]string, error) {
		m, disk2 := skewed(t, opts)
		initial := treeOf(t, m.Root)
		plan, err := PlanUpgrade(openRoot(t, m), Options{MaxFileSize: 4 << 10})
		if err != nil {
			t.Fatal(err)
		}
		if err := plan.PlanRebalance(vfs.ReadOnly(vfs.OS)); err != nil {
			t.Fatal(err)
		}
		f := vfs.NewFaulty(vfs.OS)
		if crashAt != nil {
			crashAt(f)
		}
		return m, plan, initial, upgradeThrough(vfs.CrossDevice(f, disk2), m, plan, true)
	}
	m, plan, initial, err := run(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	rb := plan.Rebalance
	if len(rb.Moves) != 3 || rb.DataDirs[0].After.Replicas != 3 || rb.DataDirs[1].After.Replicas != 3 {
		t.Fatalf("rebalance plan: %+v", rb)
	}
	apps := map[int32]int{}
	for _, mv := range rb.Moves {
		apps[mv.Gpid.App]++
	}
	if apps[1] == 0 || apps[2] == 0 {
		t.Fatalf("one table stays on one dir: %+v", rb.Moves)
	}
	for name, dirs := range loadable(t, m) {
		if len(dirs) != 1 {
			t.Fatalf("%s loadable in %v", name, dirs)
		}
	}
	for _, mv := range rb.Moves {
		if _, err := os.Stat(mv.To); err != nil {
			t.Fatalf("not moved: %v", err)
		}
	}
	proof, err := Prove(plan, openRoot(t, m))
	if err != nil || !proof.Equal {
		t.Fatalf("proof after the rebalance: %v %+v", err, proof)
	}
	disk2 := filepath.Join(m.Root, "disk2")
	j, err := journal.Open(vfs.CrossDevice(vfs.OS, disk2), m.Root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Rollback(); err != nil {
		t.Fatal(err)
	}
	j.Close()
	if d := cmp.Diff(initial, treeOf(t, m.Root)); d != "" {
		t.Fatalf("rolled back, not to the initial tree:\n%s", d)
	}

	// A power loss in the rebalance phase: its operations are those of a
	// whole run past the count of a run without it (less the finish
	// record's write and sync, which come after it).
	skew := func(m *fixtures.Manifest) {
		disk2 := filepath.Join(m.Root, "disk2")
		if err := os.MkdirAll(filepath.Join(disk2, "replica", "reps"), 0o755); err != nil {
			t.Fatal(err)
		}
		m.DataDirs += ",disk2:" + disk2
	}
	o := opts
	o.Disks = 1
	c := newUpgrade(t, o, true, skew)
	c.what = "migrate upgrade --rebalance --apply"
	c.wrap = func(fsys vfs.FS) vfs.FS { return vfs.CrossDevice(fsys, filepath.Join(c.m.Root, "disk2")) }
	c0 := newUpgrade(t, o, false, skew)
	c0.wrap = func(fsys vfs.FS) vfs.FS { return vfs.CrossDevice(fsys, filepath.Join(c0.m.Root, "disk2")) }
	noRb := c0.probe(t)
	crashEverywhere(t, c, func(p crashtest.Point) bool { return p.After >= noRb.Count(p.Op)-2 })

}
