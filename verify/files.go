package verify

import (
	"path/filepath"

	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
)

// File verifies a single log file as if it were the only file of its log:
// a torn tail at its end is tolerated.
func File(lf format.LogFile, opts Options) (*Report, error) {
	fr, s, err := scanFile(opts.fs(), lf)
	if err != nil {
		return nil, err
	}
	if opts.Progress != nil {
		opts.Progress(lf.Size)
	}
	kind := Slog
	if filepath.Base(filepath.Dir(lf.Path)) == "plog" {
		kind = Plog
	}
	d := &DirReport{Path: filepath.Dir(lf.Path), Kind: kind, Gpids: map[gpid.Gpid]*GpidStats{}, Files: []*FileReport{fr}}
	assemble(d, &format.Dir{Path: d.Path, Files: []format.LogFile{lf}}, []*format.FileScan{s})
	return &Report{OK: d.OK, Dirs: []*DirReport{d}}, nil
}
