package migrate

import (
	"encoding/json"
	"fmt"

	"github.com/waltool/waltool/journal"
	"github.com/waltool/waltool/vfs"
)

// Run is one migration run of a root's history (journal.History): its
// journal, the kind of migration its plan is, and the plan's listing of
// the root's log files from before the run.
type Run struct {
	Journal *journal.Journal
	// Kind is "" for an upgrade, KindDowngrade for a downgrade.
	Kind string
	// Listing is nil for a plan that kept none: then nothing tells
	// whether a server wrote since, and nothing is refused for it.
	Listing *Listing
}

// Upgrade reports whether the run is a `migrate upgrade`.
func (r *Run) Upgrade() bool { return r.Kind == "" }

// History is every migration run of the root at root, oldest first, read
// through fsys (journal.History), each with its plan's kind and listing.
func History(fsys vfs.FS, root string) ([]*Run, error) {
	js, err := journal.History(fsys, root)
	if err != nil {
		return nil, err
	}
	runs := make([]*Run, len(js))
	for i, j := range js {
		var meta struct {
			Kind    string   `json:"kind"`
			Listing *Listing `json:"listing"`
		}
		if err := json.Unmarshal(j.Meta(), &meta); err != nil {
			return nil, fmt.Errorf("migrate: the plan of the run %s does not decode: %w", j.Run(), err)
		}
		runs[i] = &Run{Journal: j, Kind: meta.Kind, Listing: meta.Listing}
	}
	return runs, nil
}

// WrittenSince names the log files of the root that a server wrote since
// runs[i] began (runs is a History): those that neither runs[i]'s listing
// nor a step of runs[i] or of a later run not rolled back explains (see
// Listing.WrittenSince). Rolling runs[i] back loses nothing only when it
// names none, the runs after it being rolled back first, newest first
// (journal.Journal.Rollback refuses any other order): their steps are
// what stands between runs[i]'s result and the root as it is, and each of
// their rollbacks restores the tree it found.
func WrittenSince(fsys vfs.FS, runs []*Run, i int) ([]string, error) {
	r := runs[i]
	st := r.Journal.State()
	if r.Listing == nil || st.RolledBack {
		return nil, nil
	}
	for _, later := range runs[i+1:] {
		if ls := later.Journal.State(); !ls.RolledBack {
			st.Steps = append(st.Steps, ls.Steps...)
		}
	}
	return r.Listing.WrittenSince(fsys, st)
}
