package migrate

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"syscall"

	"github.com/waltool/waltool/journal"
	"github.com/waltool/waltool/vfs"
)

// Steps is how the migration touches the root: every change is a step the
// journal records before it runs and after it is durable, so that a crash
// can be resumed or rolled back. Each method is idempotent for a step
// already done (same path, same content): resuming re-runs the plan.
//
// Fold calls Create from several goroutines at once (one per replica being
// folded, bounded by FoldOptions.Workers): an implementation must be safe
// for concurrent use, or the caller sets Workers to 1.
type Steps interface {
	// Create writes a new file at final (which must not exist before the run):
	// write is called with a writer on a temporary file in the same dir, which is
	// fsynced, renamed to final, and the dir fsynced.
	Create(final string, write func(w io.Writer) error) error
	// Move moves a file: a rename on one filesystem, copy+fsync+rename+remove across.
	Move(from, to string) error
	// Mkdir creates a directory (its parent must exist).
	Mkdir(dir string) error
	// Phase records that a named phase is complete ("fold", "archive", "prove").
	Phase(name string) error
}

// The journal is the Steps of every real run.
var (
	_ Steps    = (*journal.Journal)(nil)
	_ DirMover = (*journal.Journal)(nil)
)

// DirectSteps carries the steps out at once through FS, with no journal:
// a crash between steps leaves what was done. For tests, and for the
// journal to build on. It is safe for concurrent use (each step touches
// its own paths).
type DirectSteps struct {
	FS vfs.FS
	// Phases records the phases completed, in order (tests read it).
	Phases []string
}

// TempName is the temporary name Create writes final under: in the same
// dir, a hidden name that no Pegasus log reader takes for a log file
// (mutation_log::open skips names not starting with "log.", and
// format.OpenDir lists it under Ignored).
func TempName(final string) string {
	return filepath.Join(filepath.Dir(final), ".waltool-tmp."+filepath.Base(final))
}

// Create writes final through a temporary file, fsyncs it, renames it and
// fsyncs the dir. A final that already exists is left as it is (the step
// was done): the caller's proof checks its content.
func (s *DirectSteps) Create(final string, write func(w io.Writer) error) (err error) {
	if _, err := s.FS.Stat(final); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	tmp := TempName(final)
	if err := s.FS.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("migrate: remove stale %s: %w", tmp, err)
	}
	f, err := s.FS.Create(tmp)
	if err != nil {
		return fmt.Errorf("migrate: create %s: %w", tmp, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			s.FS.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 256<<10)
	if err = write(bw); err != nil {
		return fmt.Errorf("migrate: write %s: %w", final, err)
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("migrate: write %s: %w", tmp, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("migrate: fsync %s: %w", tmp, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("migrate: close %s: %w", tmp, err)
	}
	if err = vfs.RenameNoReplace(s.FS, tmp, final); err != nil {
		return fmt.Errorf("migrate: rename %s to %s: %w", tmp, final, err)
	}
	return s.FS.SyncDir(filepath.Dir(final))
}

// Move renames from to to and fsyncs both dirs; across filesystems
// (EXDEV) it copies, fsyncs, renames into place and removes from. A from
// that is gone while to exists is a move already done.
func (s *DirectSteps) Move(from, to string) error {
	if _, err := s.FS.Stat(from); errors.Is(err, fs.ErrNotExist) {
		if _, err2 := s.FS.Stat(to); err2 == nil {
			return nil
		}
		return err
	}
	err := vfs.RenameNoReplace(s.FS, from, to)
	if err != nil && isCrossDevice(err) {
		err = s.copyMove(from, to)
	}
	if err != nil {
		return fmt.Errorf("migrate: move %s to %s: %w", from, to, err)
	}
	if err := s.FS.SyncDir(filepath.Dir(to)); err != nil {
		return err
	}
	return s.FS.SyncDir(filepath.Dir(from))
}

func (s *DirectSteps) copyMove(from, to string) error {
	in, err := s.FS.OpenReadOnly(from)
	if err != nil {
		return err
	}
	defer in.Close()
	err = s.Create(to, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
	if err != nil {
		return err
	}
	return s.FS.Remove(from)
}

// Mkdir creates dir and fsyncs its parent; an existing dir is fine.
func (s *DirectSteps) Mkdir(dir string) error {
	if fi, err := s.FS.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("migrate: %s exists and is not a directory", dir)
		}
		return nil
	}
	if err := s.FS.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return s.FS.SyncDir(filepath.Dir(filepath.Clean(dir)))
}

// Phase records name.
func (s *DirectSteps) Phase(name string) error {
	s.Phases = append(s.Phases, name)
	return nil
}

func isCrossDevice(err error) bool { return errors.Is(err, syscall.EXDEV) }
