package migrate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/fixtures"
	"github.com/waltool/waltool/internal/refdecode"
	"github.com/waltool/waltool/verify"
	"github.com/waltool/waltool/vfs"
)

func generate(t testing.TB, o fixtures.Options) *fixtures.Manifest {
	t.Helper()
	o.Out = filepath.Join(t.TempDir(), "root")
	m, err := fixtures.Generate(o)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func openRoot(t testing.TB, m *fixtures.Manifest) *dataroot.Root {
	t.Helper()
	root, err := dataroot.Open(dataroot.Options{Root: m.Root, Server: dataroot.Flags("", m.DataDirs)})
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// shapes are the generated roots the end-to-end tests upgrade.
func shapes(n int) []fixtures.Options {
	var out []fixtures.Options
	for seed := 1; seed <= n; seed++ {
		o := fixtures.Options{Seed: int64(seed), Apps: 1 + seed%3, Replicas: 1 + seed%4, Mutations: 300 + 53*seed,
			ValueSize: 10 + 7*(seed%5), Disks: 1 + seed%3, SlogFileSize: 16 << 10, PlogFileSize: 8 << 10}
		if seed%4 == 0 {
			o.Corrupt = fixtures.CorruptTornTail
		}
		out = append(out, o)
	}
	return out
}

// upgrade plans, folds with small files (several new files per replica)
// and archives, returning the plan and the archive dir.
func upgrade(t testing.TB, m *fixtures.Manifest, maxFile int64) (*Plan, string) {
	t.Helper()
	plan, err := PlanUpgrade(openRoot(t, m), Options{MaxFileSize: maxFile})
	if err != nil {
		t.Fatal(err)
	}
	steps := &DirectSteps{FS: vfs.OS}
	if err := plan.Fold(vfs.OS, steps); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(m.Root, "slog-archive")
	if err := plan.Archive(steps, archive); err != nil {
		t.Fatal(err)
	}
	return plan, archive
}

func TestUpgradeEndToEnd(t *testing.T) {
	n := 16
	if testing.Short() {
		n = 6
	}
	for _, o := range shapes(n) {
		t.Run(fmt.Sprintf("seed%d", o.Seed), func(t *testing.T) {
			m := generate(t, o)
			plan, archive := upgrade(t, m, 4<<10)
			var folded int64
			for _, rp := range plan.Replicas {
				folded += rp.Fold
			}
			t.Logf("%d replicas, %d folded (%d bytes), %d slog files", len(plan.Replicas), folded, plan.FoldBytes, len(plan.SlogFiles))

			// The proof: 2.6 on the new root recovers what 2.4 did on the old.
			newRoot := openRoot(t, m)
			proof, err := Prove(plan, newRoot)
			if err != nil {
				t.Fatal(err)
			}
			if !proof.Equal || proof.Compared != len(plan.Before) {
				t.Fatalf("proof: %+v", proof)
			}

			// verify finds the new root clean (a torn tail stays a torn tail).
			rep, err := verify.Root(newRoot, verify.Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range rep.All() {
				if f.Class.Fatal() {
					t.Errorf("verify: %+v", f)
				}
			}

			// Independently: the slog dir holds no log file, and each plog
			// holds every slog mutation the server would have appended.
			if d, err := refdecode.DecodeDir(m.SlogDir); err != nil || len(d.Files) != 0 {
				t.Fatalf("slog dir after archive: %v files, %v", d, err)
			}
			slog, err := refdecode.DecodeDir(archive)
			if err != nil {
				t.Fatal(err)
			}
			for _, re := range m.Replicas {
				pl, err := refdecode.DecodeDir(filepath.Join(re.Dir, "plog"))
				if err != nil {
					t.Fatalf("%s: %v", re.Gpid, err)
				}
				if err := refdecode.CheckDirWriterRules(pl); err != nil {
					t.Errorf("%s: %v", re.Gpid, err)
				}
				have := map[string]bool{}
				for _, mu := range pl.Mutations() {
					have[key(mu)] = true
				}
				for _, mu := range slog.Mutations() {
					if mu.App == re.Gpid.App && mu.Partition == re.Gpid.Partition &&
						mu.LogOffset >= re.InitInfo.InitOffsetInSharedLog && mu.Decree > re.Plog.MaxCommit && !have[key(mu)] {
						t.Errorf("%s: slog decree %d ballot %d (offset %d) is not in the plog", re.Gpid, mu.Decree, mu.Ballot, mu.LogOffset)
					}
				}
			}
		})
	}
}

// key identifies a mutation's content, not where it lies.
func key(mu refdecode.Mutation) string {
	var b bytes.Buffer
	fmt.Fprint(&b, mu.App, mu.Partition, mu.Ballot, mu.Decree, mu.LastCommitted, mu.Timestamp)
	for _, u := range mu.Updates {
		fmt.Fprint(&b, u.Code, u.SerType)
		b.Write(u.Data)
	}
	return b.String()
}

// The new files are exactly what the plan says, and folding twice (a
// resume re-running the plan) writes the same bytes.
func TestFoldDeterministic(t *testing.T) {
	o := shapes(3)[2]
	m1, m2 := generate(t, o), generate(t, o)
	p1, err := PlanUpgrade(openRoot(t, m1), Options{MaxFileSize: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := PlanUpgrade(openRoot(t, m2), Options{MaxFileSize: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if p1.FoldMutations == 0 {
		t.Fatal("nothing to fold")
	}
	for _, p := range []*Plan{p1, p2} {
		if err := p.Fold(vfs.OS, &DirectSteps{FS: vfs.OS}); err != nil {
			t.Fatal(err)
		}
	}
	// Fold p1 again: the files exist, nothing changes, no error.
	if err := p1.Fold(vfs.OS, &DirectSteps{FS: vfs.OS}); err != nil {
		t.Fatal(err)
	}
	for i, rp := range p1.Replicas {
		for j, nf := range rp.NewFiles {
			b1, err := os.ReadFile(nf.Path)
			if err != nil {
				t.Fatal(err)
			}
			b2, err := os.ReadFile(p2.Replicas[i].NewFiles[j].Path)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(b1)) != nf.Size || !bytes.Equal(b1, b2) {
				t.Fatalf("%s: %d bytes (plan %d), equal to the second fold: %v", nf.Path, len(b1), nf.Size, bytes.Equal(b1, b2))
			}
		}
	}
	// Remove the files and fold again: the same bytes.
	for _, rp := range p1.Replicas {
		for _, nf := range rp.NewFiles {
			b, _ := os.ReadFile(nf.Path)
			os.Remove(nf.Path)
			if err := p1.foldGroup(vfs.OS, &DirectSteps{FS: vfs.OS}, []*ReplicaPlan{rp}); err != nil {
				t.Fatal(err)
			}
			b2, _ := os.ReadFile(nf.Path)
			if !bytes.Equal(b, b2) {
				t.Fatalf("%s: refold differs", nf.Path)
			}
		}
	}
}

// The plan holds no payloads: its JSON stays small whatever the mutation
// count and value size, and survives a round trip.
func TestPlanHoldsNoPayloads(t *testing.T) {
	m := generate(t, fixtures.Options{Seed: 7, Apps: 2, Replicas: 2, Mutations: 4000, ValueSize: 4000, SlogFileSize: 1 << 20})
	plan, err := PlanUpgrade(openRoot(t, m), Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	if plan.FoldBytes < 4*int64(len(b)) || len(b) > 64<<10 {
		t.Fatalf("plan JSON %d bytes for %d bytes folded", len(b), plan.FoldBytes)
	}
	var back Plan
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if err := back.Fold(vfs.OS, &DirectSteps{FS: vfs.OS}); err != nil {
		t.Fatal(err)
	}
	proof, err := Prove(&back, openRoot(t, m))
	if err != nil || !proof.Equal {
		t.Fatalf("proof after a JSON round trip: %+v %v", proof, err)
	}
}

// The proof is not vacuous: archiving the slog without folding it loses
// what only the slog holds, and the proof says so with a diff.
func TestProofCatchesAMissingFold(t *testing.T) {
	var caught int
	for _, o := range shapes(6) {
		m := generate(t, o)
		plan, err := PlanUpgrade(openRoot(t, m), Options{})
		if err != nil {
			t.Fatal(err)
		}
		var beyond int64
		for _, rp := range plan.Replicas {
			beyond += rp.BeyondRule
		}
		t.Logf("seed %d: %d folded, %d beyond the append rule", o.Seed, plan.FoldMutations, beyond)
		if err := plan.Archive(&DirectSteps{FS: vfs.OS}, filepath.Join(m.Root, "archive")); err != nil {
			t.Fatal(err)
		}
		proof, err := Prove(plan, openRoot(t, m))
		if err != nil {
			t.Fatal(err)
		}
		if plan.FoldMutations > 0 && proof.Equal {
			t.Errorf("seed %d: %d mutations not folded, and the proof holds", o.Seed, plan.FoldMutations)
		}
		if !proof.Equal {
			caught++
			if proof.Diff == "" {
				t.Errorf("seed %d: no diff", o.Seed)
			}
		}
	}
	if caught == 0 {
		t.Fatal("no root had anything to lose")
	}
}
