// Package reclaim carries out a garbage-collection plan on disk: it deletes
// log files, or moves them to a trash directory, so that every log keeps a
// contiguous suffix of its indices whatever fails and whenever the machine
// stops. It decides nothing: which files may go is the gc rules' business
// (and, later, migrate's); reclaim checks that the plan still describes the
// directories as they are, then acts through a writable vfs.FS.
//
// The invariant is Pegasus's: mutation_log::open refuses a log whose file
// indices have a hole, so a log's files must always be the highest indices
// it ever had, contiguous. reclaim keeps it by
//
//   - refusing, before anything is done, a plan entry that is not directly in
//     its log dir, not named like a log file (format.ParseFileName), a symlink,
//     changed since it was planned (size, mtime, inode), or not among the
//     lowest-index files of its dir in ascending order (the dir is listed
//     again with format.OpenDir): one refused entry refuses the whole plan;
//   - acting in ascending index order, one file at a time, and making each
//     step durable (fsync of the log dir, through vfs.FS.SyncDir, and of the
//     trash dir) before the next one starts, so that even a filesystem that
//     reorders metadata updates across a crash can only lose a suffix of
//     the steps, never one in the middle;
//   - stopping at the first failure, everywhere: nothing after it is tried.
//
// With a trash dir, a file moves to <trash>/<absolute log dir>/<name> (so the
// many plog dirs, all holding log.<i>.<o> names, never collide, and the
// operator sees where each file came from); a rename never replaces a file
// already there (vfs.RenameNoReplace). When the trash is on another
// filesystem (EXDEV), or Options.Copy says so, the file is copied to a
// partial name, fdatasync'd, renamed into place and its dir fsync'd before
// the original is removed, so the file exists durably in at least one place
// at every moment. Nothing outside the plan's log dirs and the trash dir is
// touched.
package reclaim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/vfs"
)

// File is one file the plan removes, as it was when the plan was made. Size
// is always checked; ModTime and ID when they are not zero. Observe fills
// all three.
type File struct {
	Path    string     `json:"path"`
	Size    int64      `json:"size"`
	ModTime time.Time  `json:"mtime,omitzero"`
	ID      vfs.FileID `json:"-"`
}

// Observe describes the file at path as a plan entry expecting it unchanged.
func Observe(fsys vfs.FS, path string) (File, error) {
	info, err := fsys.Stat(path)
	if err != nil {
		return File{}, err
	}
	id, _ := vfs.Identity(info)
	return File{Path: path, Size: info.Size(), ModTime: info.ModTime(), ID: id}, nil
}

// Dir is one log dir (a plog dir or the slog dir) and the files to remove
// from it: its lowest-index files, in ascending index order.
type Dir struct {
	Path  string `json:"path"`
	Files []File `json:"files"`
}

// Plan is what to remove, dir by dir; dirs are handled in this order.
type Plan struct {
	Dirs []Dir `json:"dirs"`
}

// Options says how files go.
type Options struct {
	// Trash, when set, is the dir files are moved to instead of deleted.
	// It must not be, or be inside, one of the plan's log dirs.
	Trash string
	// Copy moves to the trash by copy, fdatasync, rename and remove even
	// when a rename would do (a rename across filesystems fails with EXDEV
	// and takes that path anyway).
	Copy bool
}

// Action is what is done with a file.
type Action string

const (
	Delete Action = "delete" // unlink
	Move   Action = "move"   // rename into the trash, one filesystem
	Copy   Action = "copy"   // copy into the trash, then unlink
)

// Outcome is what became of a file.
type Outcome string

const (
	// Done: gone from its log dir, durably (and durably in the trash).
	Done Outcome = "done"
	// NotDurable: gone from its log dir, but a directory fsync after it
	// failed: after a crash the name may be back (or, in the trash, not be
	// there yet). No later file was touched, so there is no hole either way.
	NotDurable Outcome = "not-durable"
	// Failed: the step failed; the file is still in its log dir.
	Failed Outcome = "failed"
	// Refused: the plan entry does not match the dir (see Reason); nothing
	// of the plan was done.
	Refused Outcome = "refused"
	// NotAttempted: an earlier failure or refusal stopped the run.
	NotAttempted Outcome = "not-attempted"
)

// FileReport is what happened to one planned file.
type FileReport struct {
	Path   string `json:"path"`
	Index  int32  `json:"index"`
	Size   int64  `json:"size"`
	Action Action `json:"action"`
	// TrashPath is where the file was (or was to be) moved.
	TrashPath string  `json:"trash_path,omitempty"`
	Outcome   Outcome `json:"outcome"`
	Reason    string  `json:"reason,omitempty"`
}

// DirReport is one log dir's files and totals.
type DirReport struct {
	Path  string       `json:"path"`
	Files []FileReport `json:"files"`
	// RemovedFiles and RemovedBytes count the files gone from the dir
	// (Done or NotDurable).
	RemovedFiles int   `json:"removed_files"`
	RemovedBytes int64 `json:"removed_bytes"`
	// FreedBytes is what the dir's filesystem got back: files deleted or
	// copied away; a move within one filesystem frees nothing until the
	// trash is emptied.
	FreedBytes int64 `json:"freed_bytes"`
}

// Report is the outcome of Apply: every planned file, in plan order.
type Report struct {
	Dirs         []DirReport `json:"dirs"`
	RemovedFiles int         `json:"removed_files"`
	RemovedBytes int64       `json:"removed_bytes"`
	FreedBytes   int64       `json:"freed_bytes"`
	// Complete is true when every planned file is Done.
	Complete bool `json:"complete"`
	// Refused is true when the plan was refused before anything was done.
	Refused bool `json:"refused"`
	// StoppedAt names the file whose failure stopped the run, "" if none.
	StoppedAt string `json:"stopped_at,omitempty"`
}

// ErrRefused is the cause of Apply's error when the plan was refused
// before anything was done.
var ErrRefused = errors.New("reclaim: plan refused")

// partialSuffix names a copy into the trash that is not complete yet.
const partialSuffix = ".waltool-partial"

// Apply carries out plan through fsys (a writable FS: vfs.OS, or a Faulty
// in tests). It returns the report and, unless every file is Done, an
// error: wrapping ErrRefused when the plan was refused (nothing done), or
// the first failure's cause (the report says what was done before it).
func Apply(fsys vfs.FS, plan Plan, opt Options) (*Report, error) {
	r := &Report{}
	for _, d := range plan.Dirs {
		dr := DirReport{Path: filepath.Clean(d.Path)}
		for _, f := range d.Files {
			fr := FileReport{Path: f.Path, Size: f.Size, Action: Delete, Outcome: NotAttempted}
			fr.Index, _, _ = format.ParseFileName(filepath.Base(f.Path))
			dr.Files = append(dr.Files, fr)
		}
		r.Dirs = append(r.Dirs, dr)
	}
	var trash string
	if opt.Trash != "" {
		abs, err := filepath.Abs(opt.Trash)
		if err != nil {
			return r, fmt.Errorf("%w: trash dir %s: %v", ErrRefused, opt.Trash, err)
		}
		trash = abs
	}
	if err := check(fsys, plan, trash, r); err != nil {
		r.Refused = true
		for i := range r.Dirs {
			for j := range r.Dirs[i].Files {
				if fr := &r.Dirs[i].Files[j]; fr.Outcome == NotAttempted {
					fr.Reason = "the plan was refused: nothing was done"
				}
			}
		}
		return r, err
	}
	for i, d := range plan.Dirs {
		dr := &r.Dirs[i]
		// Once a rename into the trash fails with EXDEV, the rest of the
		// dir is copied without trying to rename again.
		copying := opt.Copy
		var trashDir string
		if trash != "" {
			abs, _ := filepath.Abs(dr.Path) // checked
			trashDir = filepath.Join(trash, strings.TrimPrefix(abs, string(filepath.Separator)))
		}
		for j, f := range d.Files {
			fr := &dr.Files[j]
			if trashDir != "" {
				fr.Action = Move
				if copying {
					fr.Action = Copy
				}
				fr.TrashPath = filepath.Join(trashDir, filepath.Base(f.Path))
			}
			freed, err := step(fsys, dr.Path, f, trashDir, fr)
			copying = copying || fr.Action == Copy
			if fr.Outcome == Done || fr.Outcome == NotDurable {
				dr.RemovedFiles++
				dr.RemovedBytes += f.Size
				dr.FreedBytes += freed
			}
			if err != nil {
				r.StoppedAt = f.Path
				stopAfter(r, i, j, f.Path)
				r.total()
				return r, err
			}
		}
	}
	r.Complete = true
	r.total()
	return r, nil
}

func (r *Report) total() {
	for _, d := range r.Dirs {
		r.RemovedFiles += d.RemovedFiles
		r.RemovedBytes += d.RemovedBytes
		r.FreedBytes += d.FreedBytes
	}
}

// stopAfter marks every file after dir i's file j not attempted.
func stopAfter(r *Report, i, j int, path string) {
	for ; i < len(r.Dirs); i++ {
		for j++; j < len(r.Dirs[i].Files); j++ {
			r.Dirs[i].Files[j].Reason = "stopped after the failure on " + path
		}
		j = -1
	}
}

// check refuses the plan unless every entry is a log file directly in its
// dir, unchanged since planned, and the dir's lowest-index files in
// ascending order. It marks refused entries in r.
func check(fsys vfs.FS, plan Plan, trash string, r *Report) error {
	var refusals []string
	refuse := func(fr *FileReport, format string, args ...any) {
		fr.Outcome = Refused
		fr.Reason = fmt.Sprintf(format, args...)
		refusals = append(refusals, fr.Path+": "+fr.Reason)
	}
	refuseDir := func(dr *DirReport, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		for j := range dr.Files {
			dr.Files[j].Outcome = Refused
			dr.Files[j].Reason = msg
		}
		refusals = append(refusals, dr.Path+": "+msg)
	}
	seen := map[string]bool{}
	for i, d := range plan.Dirs {
		dr := &r.Dirs[i]
		abs, err := filepath.Abs(dr.Path)
		switch {
		case d.Path == "":
			refuseDir(dr, "a plan dir with no path")
			continue
		case err != nil:
			refuseDir(dr, "%v", err)
			continue
		case seen[abs]:
			refuseDir(dr, "the dir appears twice in the plan")
			continue
		case trash != "" && within(trash, abs):
			refuseDir(dr, "the trash dir %s is in this log dir", trash)
			continue
		case trash != "" && within(abs, trash):
			refuseDir(dr, "this log dir is in the trash dir %s", trash)
			continue
		}
		seen[abs] = true
		if len(d.Files) == 0 {
			continue
		}
		// Each entry by itself: where it is and what it is called.
		ok := true
		for j, f := range d.Files {
			fr := &dr.Files[j]
			clean := filepath.Clean(f.Path)
			if f.Path == "" || filepath.Dir(clean) != dr.Path {
				refuse(fr, "not directly in its log dir %s", dr.Path)
				ok = false
				continue
			}
			idx, _, err := format.ParseFileName(filepath.Base(clean))
			if err != nil {
				refuse(fr, "not a log file name: %v", err)
				ok = false
				continue
			}
			if j > 0 && ok && idx <= dr.Files[j-1].Index {
				refuse(fr, "out of order: index %d after %d; a log's files go in ascending index order", idx, dr.Files[j-1].Index)
				ok = false
			}
		}
		if !ok {
			continue
		}
		// The dir as it is now: the plan must be its lowest-index files.
		ld, err := format.OpenDir(fsys, dr.Path)
		if err != nil {
			refuseDir(dr, "cannot list the log dir: %v", err)
			continue
		}
		if ld.DuplicateIndex != nil {
			refuseDir(dr, "%v", ld.DuplicateIndex)
			continue
		}
		ents, err := fsys.ReadDir(dr.Path)
		if err != nil {
			refuseDir(dr, "cannot list the log dir: %v", err)
			continue
		}
		types := map[string]fs.FileMode{}
		for _, e := range ents {
			types[e.Name()] = e.Type()
		}
		last := dr.Files[len(dr.Files)-1].Index
		for _, n := range ld.NotRegular {
			if idx, _, _ := format.ParseFileName(n.Name); idx <= last {
				refuseDir(dr, "%s is %s, at an index the plan crosses: resolve it first", n.Name, vfs.TypeName(n.Type))
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		for j, f := range d.Files {
			fr := &dr.Files[j]
			name := filepath.Base(filepath.Clean(f.Path))
			if j >= len(ld.Files) || filepath.Base(ld.Files[j].Path) != name {
				if _, there := types[name]; !there {
					refuse(fr, "not in the log dir (any more)")
				} else {
					lowest := "none"
					if j < len(ld.Files) {
						lowest = filepath.Base(ld.Files[j].Path)
					}
					refuse(fr, "not the lowest-index remaining file (that is %s after the plan's earlier entries): removing it would leave a hole in the log", lowest)
				}
				break // later entries are judged against this one
			}
			if types[name]&fs.ModeSymlink != 0 {
				refuse(fr, "a symlink: removing it would free nothing of the file it leads to")
				continue
			}
			if why, err := changed(fsys, f); err != nil {
				refuse(fr, "cannot stat: %v", err)
			} else if why != "" {
				refuse(fr, "%s", why)
			}
		}
	}
	if len(refusals) > 0 {
		return fmt.Errorf("%w: %s", ErrRefused, strings.Join(refusals, "; "))
	}
	return nil
}

// within reports whether path is dir or inside it (both absolute, clean).
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// changed says how the file at f.Path differs from f, "" if it does not;
// err when it cannot be told.
func changed(fsys vfs.FS, f File) (string, error) {
	info, err := fsys.Stat(f.Path)
	if err != nil {
		return "", err
	}
	return differs(f, info), nil
}

func differs(f File, info fs.FileInfo) string {
	if !info.Mode().IsRegular() {
		return fmt.Sprintf("%s, not a regular file", vfs.TypeName(info.Mode().Type()))
	}
	if info.Size() != f.Size {
		return fmt.Sprintf("changed since planned: %d bytes, planned with %d", info.Size(), f.Size)
	}
	if !f.ModTime.IsZero() && !info.ModTime().Equal(f.ModTime) {
		return fmt.Sprintf("changed since planned: modified %s, planned with %s", info.ModTime().Format(time.RFC3339Nano), f.ModTime.Format(time.RFC3339Nano))
	}
	if f.ID != (vfs.FileID{}) {
		if id, ok := vfs.Identity(info); ok && id != f.ID {
			return fmt.Sprintf("replaced since planned: inode %d on device %d, planned with inode %d on device %d", id.Ino, id.Dev, f.ID.Ino, f.ID.Dev)
		}
	}
	return ""
}

// step removes one file from dir: deletes it, or moves it into trashDir.
// It fills fr's Outcome and Reason and returns the bytes freed on the log
// dir's filesystem and, unless the file is Done, the error that stops the
// run.
func step(fsys vfs.FS, dir string, f File, trashDir string, fr *FileReport) (freed int64, err error) {
	fail := func(o Outcome, err error, format string, args ...any) error {
		fr.Outcome = o
		msg := fmt.Sprintf(format, args...)
		fr.Reason = msg + ": " + err.Error()
		return fmt.Errorf("%s: %s: %w", f.Path, msg, err)
	}
	// Checked again right before acting: the plan was checked as a whole
	// before the first step.
	why, err := changed(fsys, f)
	if err != nil {
		return 0, fail(Failed, err, "stat before acting")
	}
	if why != "" {
		fr.Outcome = Refused
		fr.Reason = why
		return 0, fmt.Errorf("%w: %s: %s", ErrRefused, f.Path, why)
	}
	if trashDir == "" {
		if err := fsys.Remove(f.Path); err != nil {
			return 0, fail(Failed, err, "delete")
		}
		if err := fsys.SyncDir(dir); err != nil {
			return f.Size, fail(NotDurable, err, "deleted, but the log dir's fsync failed (after a crash the file may be back; no later file was touched)")
		}
		fr.Outcome = Done
		return f.Size, nil
	}
	if err := mkdirDurable(fsys, trashDir); err != nil {
		return 0, fail(Failed, err, "create the trash dir %s", trashDir)
	}
	if err := dropEarlierCopy(fsys, f.Path, fr.TrashPath); err != nil {
		return 0, fail(Failed, err, "a file is already at %s in the trash (the original is untouched)", fr.TrashPath)
	}
	if err := dropPartial(fsys, fr.TrashPath+partialSuffix); err != nil {
		return 0, fail(Failed, err, "removing the partial copy an earlier apply left (the original is untouched)")
	}
	if fr.Action == Move {
		err := vfs.RenameNoReplace(fsys, f.Path, fr.TrashPath)
		switch {
		case errors.Is(err, syscall.EXDEV):
			fr.Action = Copy
		case err != nil:
			return 0, fail(Failed, err, "move to the trash")
		default:
			if err := fsys.SyncDir(trashDir); err != nil {
				return 0, fail(NotDurable, err, "moved to the trash, but the trash dir's fsync failed (after a crash the file may be in either dir, or both; no later file was touched)")
			}
			if err := fsys.SyncDir(dir); err != nil {
				return 0, fail(NotDurable, err, "moved to the trash, but the log dir's fsync failed (after a crash the file may be in either dir, or both; no later file was touched)")
			}
			fr.Outcome = Done
			return 0, nil
		}
	}
	if err := copyDurable(fsys, f, fr.TrashPath); err != nil {
		return 0, fail(Failed, err, "copy to the trash (the original is untouched)")
	}
	if err := fsys.Remove(f.Path); err != nil {
		return 0, fail(Failed, err, "copied to the trash, but removing the original failed (the copy at %s is redundant)", fr.TrashPath)
	}
	if err := fsys.SyncDir(dir); err != nil {
		return f.Size, fail(NotDurable, err, "copied to the trash and removed, but the log dir's fsync failed (after a crash the original may be back beside its copy; no later file was touched)")
	}
	fr.Outcome = Done
	return f.Size, nil
}

// dropEarlierCopy removes, and makes the removal durable, a copy of the
// file at path already at dst in the trash: an earlier apply copied it
// there and was stopped (a crash, an I/O error) before the removal of the
// original was durable, so the file is in both places, and the step starts
// over (a rename or a copy into the trash never replaces a file). A file
// at dst whose content is not the original's is not the run's: it is
// refused, and kept.
func dropEarlierCopy(fsys vfs.FS, path, dst string) error {
	info, err := fsys.Stat(dst)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	same, err := sameContent(fsys, path, dst, info)
	if err != nil {
		return err
	}
	if !same {
		return fmt.Errorf("%s is not a copy of it: %w", dst, fs.ErrExist)
	}
	if err := fsys.Remove(dst); err != nil {
		return err
	}
	return fsys.SyncDir(filepath.Dir(dst))
}

// dropPartial removes, durably, a partial copy into the trash that an
// earlier apply left when it was stopped (a power loss after its name,
// not yet its bytes, reached the disk). Only reclaim makes such names, and
// the original is never removed before its copy is complete under its
// final name, so a partial copy is never the only one.
func dropPartial(fsys vfs.FS, partial string) error {
	if _, err := fsys.Stat(partial); errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return err
	}
	if err := fsys.Remove(partial); err != nil {
		return err
	}
	return fsys.SyncDir(filepath.Dir(partial))
}

// sameContent says whether the regular files at a and b (described by
// bInfo) hold the same bytes.
func sameContent(fsys vfs.FS, a, b string, bInfo fs.FileInfo) (bool, error) {
	if !bInfo.Mode().IsRegular() {
		return false, nil
	}
	fa, err := fsys.OpenReadOnly(a)
	if err != nil {
		return false, err
	}
	defer fa.Close()
	fb, err := fsys.OpenReadOnly(b)
	if err != nil {
		return false, err
	}
	defer fb.Close()
	if ia, err := fa.Stat(); err != nil || ia.Size() != bInfo.Size() {
		return false, err
	}
	ba, bb := make([]byte, 64<<10), make([]byte, 64<<10)
	for {
		na, ea := io.ReadFull(fa, ba)
		nb, eb := io.ReadFull(fb, bb)
		if !bytes.Equal(ba[:na], bb[:nb]) {
			return false, nil
		}
		if ea == io.EOF || ea == io.ErrUnexpectedEOF {
			if eb == io.EOF || eb == io.ErrUnexpectedEOF {
				return true, nil
			}
			return false, eb
		}
		if ea != nil {
			return false, ea
		}
		if eb != nil {
			return false, eb
		}
	}
}

// copyDurable copies f to dst (which must not exist) so that dst is complete
// and durable, name included, when it returns nil: a partial copy is
// written beside it, fdatasync'd, renamed into place, and the dir fsync'd
// (vfs.CopyDurable). The source is checked, on the inode actually opened,
// to be f as planned.
func copyDurable(fsys vfs.FS, f File, dst string) error {
	return vfs.CopyDurable(fsys, f.Path, dst, vfs.CopyOptions{
		Tmp:     dst + partialSuffix,
		DirName: "the trash dir's",
		Check: func(info fs.FileInfo) error {
			if why := differs(f, info); why != "" {
				return errors.New(why)
			}
			return nil
		},
	})
}

// mkdirDurable creates dir and its missing parents, fsyncing the parent of
// each dir it creates, so that files moved into it survive a crash.
func mkdirDurable(fsys vfs.FS, dir string) error { return vfs.MkdirAllDurable(fsys, dir) }
