package migrate

import (
	"fmt"
	"path/filepath"

	"github.com/waltool/waltool/vfs"
)

// Archive moves every slog file of the plan into archiveDir (created if
// needed; its parent must exist), in index order, each with one
// steps.Move; the slog dir is left in place, empty of log files. It
// records the phase "archive".
func (p *Plan) Archive(steps Steps, archiveDir string) error {
	if archiveDir == "" {
		return fmt.Errorf("migrate: archive: no archive dir")
	}
	if filepath.Clean(archiveDir) == filepath.Clean(p.SlogDir) {
		return fmt.Errorf("migrate: archive: the archive dir is the slog dir %s", p.SlogDir)
	}
	if err := steps.Mkdir(archiveDir); err != nil {
		return fmt.Errorf("migrate: archive: %w", err)
	}
	for _, f := range p.SlogFiles {
		if err := steps.Move(f.Path, filepath.Join(archiveDir, filepath.Base(f.Path))); err != nil {
			return fmt.Errorf("migrate: archive: %w", err)
		}
	}
	return steps.Phase("archive")
}

// Apply carries out the plan through steps: the fold, then the archive,
// then the rebalance when the plan has one (its moves run last: a resumed
// fold or archive never looks for a file a move took away), skipping a phase done reports complete. A resumed run must skip a
// complete fold: the archive that followed it may already have moved the
// slog files the fold reads (the archive starts only once the fold's phase
// record is durable, so an incomplete fold always finds the slog in place).
// The archive's steps replay as no-ops for the files already moved.
func (p *Plan) Apply(fsys vfs.FS, steps Steps, archiveDir string, done func(phase string) bool) error {
	if done == nil || !done("fold") {
		if err := p.Fold(fsys, steps); err != nil {
			return err
		}
	}
	if done == nil || !done("archive") {
		if err := p.Archive(steps, archiveDir); err != nil {
			return err
		}
	}
	if p.Rebalance != nil && (done == nil || !done("rebalance")) {
		return p.ApplyRebalance(steps)
	}
	return nil
}
