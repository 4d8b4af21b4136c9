package migrate

import (
	"errors"
	"fmt"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/pegasus"
	"github.com/waltool/waltool/serversim"
	"github.com/waltool/waltool/vfs"
)

// DowngradeProof is a downgrade's proof: what the target recovers from the
// new root equals what 2.6 recovered from the old one, and the target's
// next writes survive its crash.
type DowngradeProof struct {
	// Proof compares the target's replay of the new root with the plan's
	// 2.6 before-state.
	Proof
	// Next is the simulation of the target writing after the downgrade.
	Next *NextWrites `json:"next_writes"`
	// OK: equal, and no acknowledged write lost.
	OK bool `json:"ok"`
}

// NextWrites is what the simulated target server wrote and whether a
// restart after its crash finds every acknowledged write.
type NextWrites struct {
	Version    pegasus.Version `json:"version"`
	PerReplica int             `json:"per_replica"`
	Seed       int64           `json:"seed"`
	Acked      int             `json:"acked"`
	// SlogStart is where 2.3's first new slog mutation went; Lagged the
	// acknowledged writes only its slog held at the crash.
	SlogStart int64             `json:"slog_start,omitempty"`
	Lagged    int               `json:"lagged,omitempty"`
	Lost      []finding.Finding `json:"lost"`
	// WontStart says why the target does not start to take writes on the
	// new root (serversim.ErrWontStart); the proof then fails.
	WontStart string `json:"wont_start,omitempty"`
}

// NextOptions say how much the proof's simulation writes.
type NextOptions struct {
	// PerReplica writes per loaded replica; 0 means serversim's default.
	PerReplica int   `json:"per_replica"`
	Seed       int64 `json:"seed"`
}

// ProveDowngrade replays root (the downgraded root, or its Preview, read
// through fsys) under the plan's target and compares every replica's state
// with plan.Before; then it lets the target server write next.PerReplica
// mutations per replica into an in-memory overlay of fsys, crash, and
// restart, and lists every acknowledged write the restart does not
// recover. Nothing is written to the root.
func ProveDowngrade(plan *DowngradePlan, fsys vfs.FS, root *dataroot.Root, opts Options) (*DowngradeProof, error) {
	next := plan.Next
	after, res, err := stateOf(root, plan.Target, opts, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("migrate: prove: %w", err)
	}
	pr := &DowngradeProof{Proof: *compareStates(plan.Before, after, res.Abort)}
	if !pr.Equal {
		return pr, nil
	}
	sim := vfs.Overlay(fsys)
	simRoot, err := root.Reopen(sim)
	if err != nil {
		return nil, fmt.Errorf("migrate: prove: %w", err)
	}
	so := serversim.Options{Version: plan.Target, Mutations: next.PerReplica, Seed: next.Seed, Start: res}
	w, err := serversim.Write(sim, simRoot, so)
	if errors.Is(err, serversim.ErrWontStart) {
		pr.Next = &NextWrites{Version: plan.Target, PerReplica: next.PerReplica, Seed: next.Seed, Lost: []finding.Finding{}, WontStart: err.Error()}
		return pr, nil
	}
	if err != nil {
		return nil, fmt.Errorf("migrate: prove: simulating %s's next writes: %w", plan.Target, err)
	}
	lost, err := serversim.Lost(sim, simRoot, plan.Target, w.Acked)
	if err != nil {
		return nil, fmt.Errorf("migrate: prove: restarting %s after its crash: %w", plan.Target, err)
	}
	pr.Next = &NextWrites{Version: plan.Target, PerReplica: next.PerReplica, Seed: next.Seed, Acked: len(w.Acked),
		SlogStart: w.SlogStart, Lagged: w.Lagged, Lost: []finding.Finding{}}
	if pr.Next.PerReplica == 0 {
		pr.Next.PerReplica = serversim.DefaultMutations
	}
	for _, l := range lost {
		pr.Next.Lost = append(pr.Next.Lost, l.Finding())
	}
	pr.OK = pr.Equal && len(lost) == 0
	return pr, nil
}
