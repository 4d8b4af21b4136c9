package migrate

import (
	"fmt"

	"github.com/google/go-cmp/cmp"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/pegasus"
)

// Proof compares what every replica recovers under the 2.6 rules on the
// new root with what it recovered under the 2.4 rules on the old one.
type Proof struct {
	Equal bool `json:"equal"`
	// Compared is the number of replicas compared.
	Compared int `json:"compared_replicas"`
	// Diff is go-cmp's diff (-before +after), empty when Equal.
	Diff string `json:"diff,omitempty"`
	// Abort is set when the 2.6 replay of the new root aborts.
	Abort string `json:"abort,omitempty"`
}

// ProveOptions are passed to replay; they must be those of the plan.
type ProveOptions = Options

// Prove replays newRoot under the 2.6 rules (no slog) and compares every
// replica's committed decree, ballot, prepared decrees and recovered
// stream with plan.Before.
func Prove(plan *Plan, newRoot *dataroot.Root) (*Proof, error) {
	return ProveWith(plan, newRoot, Options{})
}

// ProveWith is Prove with replay options (durable decrees, workers).
func ProveWith(plan *Plan, newRoot *dataroot.Root, opts Options) (*Proof, error) {
	after, res, err := stateOf(newRoot, pegasus.V26, opts, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("migrate: prove: %w", err)
	}
	return compareStates(plan.Before, after, res.Abort), nil
}

// compareStates is the proof's verdict: before and after equal, and the
// replay of the new root did not abort.
func compareStates(before, after []State, abort string) *Proof {
	pr := &Proof{Compared: len(before), Abort: abort}
	if before == nil {
		before = []State{}
	}
	if after == nil {
		after = []State{}
	}
	pr.Diff = cmp.Diff(before, after)
	pr.Equal = pr.Diff == "" && abort == ""
	return pr
}
