package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/waltool/waltool/vfs"
)

// attemptName is the file in the journal dir a command that is about to
// plan a run keeps while it plans.
const attemptName = "attempt.json"

// Attempt is a command that took the root's lock to begin a run. It is
// recorded before the command plans and removed when the command ends or
// its run begins: one left behind is a command killed before it changed
// anything, which the history (runs only) cannot show. Rollback reads it,
// so that it does not silently undo the run before: the operator who just
// started a downgrade and killed it would be surprised to see an earlier
// upgrade undone.
type Attempt struct {
	Command string    `json:"command"`
	Args    []string  `json:"args,omitempty"`
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
}

func (a Attempt) String() string {
	return fmt.Sprintf("%q started %s (pid %d)", fmt.Sprint(append([]string{a.Command}, a.Args...)), a.Started.Format(time.RFC3339), a.PID)
}

func attemptPath(root string) string { return filepath.Join(journalDir(root), attemptName) }

// BeginAttempt records a under root (the caller holds the root's lock) and
// returns end, which removes it: call end when the command ends, whatever
// the outcome.
func BeginAttempt(fsys vfs.FS, root string, a Attempt) (end func() error, err error) {
	root = filepath.Clean(root)
	if a.Started.IsZero() {
		a.Started = time.Now()
	}
	if a.PID == 0 {
		a.PID = os.Getpid()
	}
	b, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	if err := vfs.MkdirAllDurable(fsys, journalDir(root)); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	if err := vfs.WriteFileAtomic(fsys, attemptPath(root), b); err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	return func() error { return endAttempt(fsys, root) }, nil
}

// endAttempt removes the attempt of root, durably; none is no error.
func endAttempt(fsys vfs.FS, root string) error {
	err := fsys.Remove(attemptPath(root))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	return fsys.SyncDir(journalDir(root))
}

// LastAttempt is the attempt a killed command left under root, nil when
// there is none.
func LastAttempt(fsys vfs.FS, root string) (*Attempt, error) {
	b, err := vfs.ReadFile(fsys, attemptPath(filepath.Clean(root)), 1<<20)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	var a Attempt
	if err := json.Unmarshal(b, &a); err != nil {
		return nil, fmt.Errorf("journal: %s does not decode: %w", attemptPath(root), err)
	}
	return &a, nil
}

// ForgetAttempt removes an attempt left behind, once the operator has
// seen it (a rollback confirmed with the run to undo).
func ForgetAttempt(fsys vfs.FS, root string) error { return endAttempt(fsys, filepath.Clean(root)) }
