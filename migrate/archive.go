package migrate

import (
	"fmt"
	"path/filepath"
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
