package ops

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"

	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/fixtures"
	"github.com/waltool/waltool/internal/iec"
	"github.com/waltool/waltool/schema"
	"github.com/waltool/waltool/vfs"
)

// GenerateFixtures writes a sample data root (fixtures.Generate). A root
// it fails or is stopped while writing is removed, but only what this run
// created: opts.Out must not exist, or be an empty dir.
func GenerateFixtures(e *Env, opts fixtures.Options) (_ *FixturesReport, err error) {
	if opts.Out == "" {
		return nil, Usage("--out is required")
	}
	if opts.ValueSize > 64<<20 {
		return nil, Usage("--value-size %s: at most 64 MiB", iec.Bytes(int64(opts.ValueSize)))
	}
	ents, rerr := e.writeFS().ReadDir(opts.Out)
	created := errors.Is(rerr, fs.ErrNotExist)
	if created || rerr == nil && len(ents) == 0 {
		remove := func() { removeCreated(e.writeFS(), opts.Out, created) }
		defer e.cleanup(remove)()
		defer func() {
			if err != nil {
				remove()
			}
		}()
	}
	bar := e.count("generate", "mutations", int64(opts.Mutations))
	opts.Context = e.ctx()
	opts.Progress = func(done, total int64) { bar.ChangeMax64(total); bar.Set64(done) }
	m, err := fixtures.Generate(opts)
	bar.Finish()
	if err != nil {
		return nil, err
	}
	return &FixturesReport{m}, nil
}

// removeCreated removes a root this run created, or empties the empty dir
// it was given.
func removeCreated(fsys vfs.FS, dir string, created bool) {
	if created {
		vfs.RemoveAll(fsys, dir)
		return
	}
	ents, _ := fsys.ReadDir(dir)
	for _, ent := range ents {
		vfs.RemoveAll(fsys, filepath.Join(dir, ent.Name()))
	}
}

// FixturesReport is a generated root: where it is, its manifest and the
// damage asked for.
type FixturesReport struct{ Manifest *fixtures.Manifest }

func (r *FixturesReport) Doc() schema.Document {
	m := r.Manifest
	d := &schema.FixturesGen{Path: m.Root, ManifestPath: filepath.Join(m.Root, "manifest.json"), DataDirsValue: m.DataDirs,
		SlogPath: m.SlogDir, ReplicaCount: int64(len(m.Replicas)), FileCount: int64(len(m.Slog.Files)), Mutations: m.Slog.Mutations, Bytes: m.Bytes}
	for _, rep := range m.Replicas {
		d.FileCount += int64(len(rep.Plog.Files))
	}
	if k := m.Corruption; k != nil {
		class := finding.Corrupt
		class.UnmarshalText([]byte(k.ExpectedClass))
		dmg := schema.FindingOf(finding.New(class, k.File, "%s: %s", k.Mode, k.Detail).At(k.Offset))
		d.Damage = &dmg
	}
	return d
}

func (r *FixturesReport) WriteText(w io.Writer) error {
	_, err := fmt.Fprintf(w, "wrote %s (manifest.json inside); data dirs: %s\n", r.Manifest.Root, r.Manifest.DataDirs)
	return err
}
