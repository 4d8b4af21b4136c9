package replay

import (
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/fixtures"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/pegasus"
)

// OnSlog sees, per replica, exactly the appends the model counts, and
// EmitAll gives every replica the stream Emit gives it alone.
func TestOnSlogAndEmitAll(t *testing.T) {
	for seed := int64(1); seed <= 4; seed++ {
		out := filepath.Join(t.TempDir(), "root")
		m, err := fixtures.Generate(fixtures.Options{Out: out, Seed: seed, Apps: 2, Replicas: 2, Mutations: 400, ValueSize: 20,
			Disks: 1 + int(seed%2), SlogFileSize: 16 << 10, PlogFileSize: 8 << 10})
		if err != nil {
			t.Fatal(err)
		}
		root, err := dataroot.Open(dataroot.Options{Root: m.Root, Server: dataroot.Flags("", m.DataDirs)})
		if err != nil {
			t.Fatal(err)
		}
		appended := map[string]int64{}
		all := map[string][]string{}
		res, err := Run(root, Options{Version: pegasus.V24, EmitAll: true,
			Emit: func(mu *format.Mutation, _ Loc, c bool) error {
				all[mu.Gpid.String()] = append(all[mu.Gpid.String()], fmt.Sprint(c, mu.Decree, mu.Ballot, sha256.Sum256(mu.Append(nil))))
				return nil
			},
			OnSlog: func(sm SlogMutation) error {
				if sm.Appended {
					appended[sm.M.Gpid.String()]++
				}
				return nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		for _, rr := range res.Replicas {
			if appended[rr.Gpid.String()] != rr.AppendedFromSlog {
				t.Errorf("seed %d %s: OnSlog appended %d, model %d", seed, rr.Gpid, appended[rr.Gpid.String()], rr.AppendedFromSlog)
			}
			g := rr.Gpid
			var one []string
			if _, err := Run(root, Options{Version: pegasus.V24, EmitGpid: &g, Emit: func(mu *format.Mutation, _ Loc, c bool) error {
				one = append(one, fmt.Sprint(c, mu.Decree, mu.Ballot, sha256.Sum256(mu.Append(nil))))
				return nil
			}}); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(one, all[rr.Gpid.String()]); d != "" {
				t.Errorf("seed %d %s: EmitAll vs Emit:\n%s", seed, rr.Gpid, d)
			}
		}
	}
}
