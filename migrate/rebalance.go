package migrate

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/vfs"
)

// Rebalance is the optional last phase of an upgrade (`--rebalance`): the
// replica dirs moved so that the data dirs hold about as many bytes and as
// many replicas each, partitions of one table on different data dirs where
// possible. It is part of the plan's JSON.
type Rebalance struct {
	// DataDirs are the data dirs with what each holds before and after.
	DataDirs []RebalanceDir `json:"data_dirs"`
	// Moves are the replica dirs to move, in order.
	Moves []DirMove `json:"moves"`
	// MoveBytes totals the moves; CopyBytes those across filesystems
	// (copied, where the others are renamed).
	MoveBytes int64 `json:"move_bytes"`
	CopyBytes int64 `json:"copy_bytes"`
}

// RebalanceDir is one data dir.
type RebalanceDir struct {
	Path string `json:"path"`
	// Device is the filesystem's st_dev: a move between two data dirs of
	// one device is a rename.
	Device uint64 `json:"device"`
	Before Load   `json:"before"`
	After  Load   `json:"after"`
}

// Load is what a data dir holds.
type Load struct {
	Replicas int   `json:"replicas"`
	Bytes    int64 `json:"bytes"`
}

// DirMove is one replica dir moved.
type DirMove struct {
	Gpid gpid.Gpid `json:"gpid"`
	// From and To are the replica dir before and after.
	From string `json:"from"`
	To   string `json:"to"`
	// FromDataDir and ToDataDir index Rebalance.DataDirs.
	FromDataDir int   `json:"from_data_dir"`
	ToDataDir   int   `json:"to_data_dir"`
	Bytes       int64 `json:"bytes"`
	// Copy: the data dirs are on different filesystems (the move copies).
	Copy bool `json:"copy"`
}

// DirMover is the step a rebalance needs: the journal's MoveDir (never
// two loadable copies of a replica dir; see journal.MoveDir).
type DirMover interface {
	MoveDir(from, to string) error
}

// BalanceReplica is one replica dir as PlanMoves sees it.
type BalanceReplica struct {
	Gpid    gpid.Gpid
	Name    string // the dir's name, kept by the move
	DataDir int
	Bytes   int64
}

// BalanceDisk is one data dir as PlanMoves sees it.
type BalanceDisk struct {
	Device uint64
	// Names are the entries already in the dir: a move never targets a
	// name there, nor its .tmp or .ori.
	Names map[string]bool
}

// Balance weights: a data dir within ByteTolerance of the mean bytes, and
// with a replica count between the floor and the ceiling of the mean, is
// balanced; each partition of a table beyond its fair share on one data
// dir (ceil(partitions/data dirs)) costs SpreadWeight.
const (
	ByteTolerance = 0.05
	SpreadWeight  = 1.0
)

// PlanMoves chooses the replica dirs to move, greedily. The cost of a
// layout is, over the data dirs, the squared relative excess of bytes
// beyond ByteTolerance of the mean, plus the squared relative excess of
// the replica count beyond [floor, ceil] of the mean, plus SpreadWeight
// per partition of a table beyond its fair share on a data dir. Each round
// takes the single move (a replica to another data dir where its name is
// free; a replica already planned to move may be re-targeted, or sent
// back, which is no move at all) that lowers the cost most, the one of
// fewer bytes on a tie (then a rename before a copy, then input order, so
// the plan is deterministic); when no single move lowers it, the swap of
// two replicas of different data dirs that lowers it most (what a count
// already balanced needs to even the bytes); and stops when neither does.
// The cost falls strictly each round, so it ends (and rounds are capped at
// 4 per replica); a balanced root moves nothing. Squared excesses make the
// most loaded dir give first and prefer the replica whose size best fills
// the gap, so few bytes move. A replica's final dir is all that moves: one
// MoveDir per replica at most.
func PlanMoves(disks []BalanceDisk, reps []BalanceReplica) []DirMove {
	k := len(disks)
	if k < 2 || len(reps) == 0 {
		return nil
	}
	b := &balancer{k: k, disks: disks, reps: reps, where: make([]int, len(reps)),
		bytes: make([]float64, k), count: make([]int, k), apps: map[int32][]int{}, nApp: map[int32]int{}}
	var total float64
	for i, r := range reps {
		b.where[i] = r.DataDir
		b.bytes[r.DataDir] += float64(r.Bytes)
		total += float64(r.Bytes)
		b.count[r.DataDir]++
		if b.apps[r.Gpid.App] == nil {
			b.apps[r.Gpid.App] = make([]int, k)
		}
		b.apps[r.Gpid.App][r.DataDir]++
		b.nApp[r.Gpid.App]++
	}
	b.meanB = total / float64(k)
	b.meanC = float64(len(reps)) / float64(k)
	b.loC, b.hiC = math.Floor(b.meanC), math.Ceil(b.meanC)
	const eps = 1e-12
	for round := 0; round < 4*len(reps); round++ {
		bi, bt, best := -1, -1, -eps
		for i, r := range reps {
			for t := 0; t < k; t++ {
				if t == b.where[i] || !b.free(i, t) {
					continue
				}
				d := b.delta(i, t)
				better := d < best-eps
				if !better && bi >= 0 && math.Abs(d-best) <= eps {
					cr := reps[bi]
					better = r.Bytes < cr.Bytes || (r.Bytes == cr.Bytes && !b.copies(i, t) && b.copies(bi, bt))
				}
				if better {
					bi, bt, best = i, t, d
				}
			}
		}
		if bi >= 0 {
			b.move(bi, bt)
			continue
		}
		si, sj, best := -1, -1, -eps
		for i := range reps {
			for j := i + 1; j < len(reps); j++ {
				a, c := b.where[i], b.where[j]
				if a == c || !b.free(i, c) || !b.free(j, a) {
					continue
				}
				d := b.delta(i, c)
				b.move(i, c)
				d += b.delta(j, a)
				b.move(i, a)
				if d < best-eps {
					si, sj, best = i, j, d
				}
			}
		}
		if si < 0 {
			break
		}
		a, c := b.where[si], b.where[sj]
		b.move(si, c)
		b.move(sj, a)
	}
	var out []DirMove
	for i, r := range reps {
		if t := b.where[i]; t != r.DataDir {
			out = append(out, DirMove{Gpid: r.Gpid, FromDataDir: r.DataDir, ToDataDir: t, Bytes: r.Bytes, Copy: disks[r.DataDir].Device != disks[t].Device})
		}
	}
	// Renames first (they free nothing, but cost nothing), then copies.
	sort.SliceStable(out, func(i, j int) bool { return !out[i].Copy && out[j].Copy })
	return out
}

// balancer is PlanMoves's layout: where each replica is planned to be and
// what each data dir then holds.
type balancer struct {
	k     int
	disks []BalanceDisk
	reps  []BalanceReplica
	where []int
	bytes []float64
	count []int
	apps  map[int32][]int // app -> replicas per data dir
	nApp  map[int32]int

	meanB, meanC, loC, hiC float64
}

func (b *balancer) fb(x float64) float64 {
	if b.meanB == 0 {
		return 0
	}
	e := math.Max(0, math.Abs(x-b.meanB)-ByteTolerance*b.meanB) / b.meanB
	return e * e
}

func (b *balancer) fc(n int) float64 {
	e := math.Max(0, math.Max(float64(n)-b.hiC, b.loC-float64(n))) / b.meanC
	return e * e
}

func (b *balancer) excess(app int32, n int) float64 {
	fair := (b.nApp[app] + b.k - 1) / b.k
	return SpreadWeight * float64(max(0, n-fair))
}

// free: replica i may go to data dir t (its own dir, or one where no
// entry has its name or its .tmp/.ori names).
func (b *balancer) free(i, t int) bool {
	r := b.reps[i]
	if t == r.DataDir {
		return true
	}
	n := b.disks[t].Names
	return !n[r.Name] && !n[r.Name+".tmp"] && !n[r.Name+".ori"]
}

func (b *balancer) copies(i, t int) bool {
	return b.disks[b.reps[i].DataDir].Device != b.disks[t].Device
}

// delta is the change of cost if replica i moves to data dir t.
func (b *balancer) delta(i, t int) float64 {
	r := b.reps[i]
	a, s := b.where[i], float64(r.Bytes)
	ac, app := b.apps[r.Gpid.App], r.Gpid.App
	return b.fb(b.bytes[a]-s) - b.fb(b.bytes[a]) + b.fb(b.bytes[t]+s) - b.fb(b.bytes[t]) +
		b.fc(b.count[a]-1) - b.fc(b.count[a]) + b.fc(b.count[t]+1) - b.fc(b.count[t]) +
		b.excess(app, ac[a]-1) - b.excess(app, ac[a]) + b.excess(app, ac[t]+1) - b.excess(app, ac[t])
}

func (b *balancer) move(i, t int) {
	r := b.reps[i]
	a := b.where[i]
	b.where[i] = t
	b.bytes[a] -= float64(r.Bytes)
	b.bytes[t] += float64(r.Bytes)
	b.count[a]--
	b.count[t]++
	b.apps[r.Gpid.App][a]--
	b.apps[r.Gpid.App][t]++
}

// PlanRebalance adds the rebalance to the plan (reading only): each
// loaded replica dir's bytes (its files now, plus the new plog files the
// fold writes into it), the data dirs' devices and entries, and the moves
// PlanMoves chooses. The moves run after the fold and the archive, and
// before the proof, which replays the rebalanced root.
func (p *Plan) PlanRebalance(fsys vfs.FS) error {
	rb := &Rebalance{DataDirs: []RebalanceDir{}, Moves: []DirMove{}}
	var disks []BalanceDisk
	index := map[string]int{}
	for i, dd := range p.DataDirs {
		info, err := fsys.Stat(dd)
		if err != nil {
			return fmt.Errorf("migrate: rebalance: data dir: %w", err)
		}
		dev, _ := vfs.DeviceID(info)
		ents, err := fsys.ReadDir(dd)
		if err != nil {
			return fmt.Errorf("migrate: rebalance: data dir: %w", err)
		}
		names := map[string]bool{}
		for _, e := range ents {
			names[e.Name()] = true
		}
		disks = append(disks, BalanceDisk{Device: dev, Names: names})
		rb.DataDirs = append(rb.DataDirs, RebalanceDir{Path: dd, Device: dev})
		index[filepath.Clean(dd)] = i
	}
	var reps []BalanceReplica
	for _, rp := range p.Replicas {
		d, ok := index[filepath.Dir(filepath.Clean(rp.Dir))]
		if !ok {
			return fmt.Errorf("migrate: rebalance: replica dir %s is in no data dir of the plan", rp.Dir)
		}
		n, err := treeBytes(fsys, rp.Dir)
		if err != nil {
			return fmt.Errorf("migrate: rebalance: %w", err)
		}
		for _, nf := range rp.NewFiles {
			n += nf.Size
		}
		reps = append(reps, BalanceReplica{Gpid: rp.Gpid, Name: filepath.Base(rp.Dir), DataDir: d, Bytes: n})
		rb.DataDirs[d].Before.Replicas++
		rb.DataDirs[d].Before.Bytes += n
	}
	for i := range rb.DataDirs {
		rb.DataDirs[i].After = rb.DataDirs[i].Before
	}
	for _, m := range PlanMoves(disks, reps) {
		name := ""
		for _, r := range reps {
			if r.Gpid == m.Gpid && r.DataDir == m.FromDataDir {
				name = r.Name
			}
		}
		m.From = filepath.Join(p.DataDirs[m.FromDataDir], name)
		m.To = filepath.Join(p.DataDirs[m.ToDataDir], name)
		rb.Moves = append(rb.Moves, m)
		rb.MoveBytes += m.Bytes
		if m.Copy {
			rb.CopyBytes += m.Bytes
		}
		from, to := &rb.DataDirs[m.FromDataDir].After, &rb.DataDirs[m.ToDataDir].After
		from.Replicas--
		from.Bytes -= m.Bytes
		to.Replicas++
		to.Bytes += m.Bytes
	}
	p.Rebalance = rb
	return nil
}

// treeBytes is the total size of the regular files under dir.
func treeBytes(fsys vfs.FS, dir string) (int64, error) {
	ents, err := fsys.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, e := range ents {
		p := filepath.Join(dir, e.Name())
		if e.IsDir() {
			m, err := treeBytes(fsys, p)
			if err != nil {
				return 0, err
			}
			n += m
			continue
		}
		info, err := fsys.Stat(p)
		if err != nil {
			return 0, err
		}
		if info.Mode().IsRegular() {
			n += info.Size()
		}
	}
	return n, nil
}

// ApplyRebalance moves the plan's replica dirs, each with one MoveDir
// (steps must implement DirMover), and records the phase "rebalance". A
// resumed run replays the moves done as no-ops.
func (p *Plan) ApplyRebalance(steps Steps) error {
	rb := p.Rebalance
	if rb == nil {
		return nil
	}
	mover, ok := steps.(DirMover)
	if !ok {
		return fmt.Errorf("migrate: rebalance: %T cannot move a replica dir", steps)
	}
	// Moves are independent (each its own replica dir and names) and the
	// journal takes concurrent steps: a few at once overlap their fsyncs.
	work := make(chan DirMove)
	errs := make(chan error, len(rb.Moves))
	var wg sync.WaitGroup
	for range min(RebalanceWorkers, len(rb.Moves)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range work {
				if err := mover.MoveDir(m.From, m.To); err != nil {
					errs <- fmt.Errorf("migrate: rebalance %s: %w", m.Gpid, err)
				}
			}
		}()
	}
	for _, m := range rb.Moves {
		if len(errs) > 0 {
			break
		}
		work <- m
	}
	close(work)
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	return steps.Phase("rebalance")
}

// RebalanceWorkers is how many replica dirs ApplyRebalance moves at once.
var RebalanceWorkers = 4

// MoveDir moves a replica dir with no journal (DirectSteps is for tests):
// a rename, or across filesystems a copy into <to>.tmp, the source
// renamed <from>.ori, the copy renamed to to, the origin removed, so no
// two loadable copies exist at once. A from gone while to exists is a move
// already done.
func (s *DirectSteps) MoveDir(from, to string) error {
	if _, err := s.FS.Stat(from); errors.Is(err, fs.ErrNotExist) {
		if _, err2 := s.FS.Stat(to); err2 == nil {
			return nil
		}
		return err
	}
	err := vfs.RenameNoReplace(s.FS, from, to)
	if err == nil {
		if err := s.FS.SyncDir(filepath.Dir(to)); err != nil {
			return err
		}
		return s.FS.SyncDir(filepath.Dir(from))
	}
	if !isCrossDevice(err) {
		return fmt.Errorf("migrate: move %s to %s: %w", from, to, err)
	}
	tmp, ori := to+".tmp", from+".ori"
	if err := s.copyTree(from, tmp); err != nil {
		return err
	}
	if err := vfs.RenameNoReplace(s.FS, from, ori); err != nil {
		return err
	}
	if err := s.FS.SyncDir(filepath.Dir(from)); err != nil {
		return err
	}
	if err := vfs.RenameNoReplace(s.FS, tmp, to); err != nil {
		return err
	}
	if err := s.FS.SyncDir(filepath.Dir(to)); err != nil {
		return err
	}
	if err := os.RemoveAll(ori); err != nil { // DirectSteps is for tests on the OS
		return err
	}
	return s.FS.SyncDir(filepath.Dir(from))
}

func (s *DirectSteps) copyTree(from, to string) error {
	if err := s.FS.Mkdir(to, 0o755); err != nil {
		return err
	}
	ents, err := s.FS.ReadDir(from)
	if err != nil {
		return err
	}
	sort.Slice(ents, func(i, j int) bool { return ents[i].Name() < ents[j].Name() })
	for _, e := range ents {
		src, dst := filepath.Join(from, e.Name()), filepath.Join(to, e.Name())
		if e.IsDir() {
			if err := s.copyTree(src, dst); err != nil {
				return err
			}
			continue
		}
		if err := vfs.CopyDurable(s.FS, src, dst, vfs.CopyOptions{Tmp: TempName(dst)}); err != nil {
			return err
		}
	}
	return s.FS.SyncDir(to)
}
