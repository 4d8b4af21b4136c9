package journal

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/waltool/waltool/vfs"
)

// claim takes the step (op, path, from) for this call: the recorded one
// (fresh false: a replay), or a new reservation (fresh true) whose intent
// the caller records once it has checked the tree.
func (j *Journal) claim(op, path, from string) (s *step, fresh bool, err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.writable(); err != nil {
		return nil, false, err
	}
	k := key(op, path, from)
	if s := j.byKey[k]; s != nil {
		if s.busy {
			return nil, false, fmt.Errorf("%w: %s %s is already in progress", ErrState, op, path)
		}
		s.busy = true
		return s, false, nil
	}
	if !j.finished.IsZero() {
		return nil, false, fmt.Errorf("%w: the run %s is finished: no new step (%s %s)", ErrState, j.run, op, path)
	}
	s = &step{op: op, path: path, from: from, reserved: true, busy: true}
	j.byKey[k] = s
	return s, true, nil
}

func (j *Journal) release(s *step) {
	j.mu.Lock()
	defer j.mu.Unlock()
	s.busy = false
	if s.reserved {
		delete(j.byKey, key(s.op, s.path, s.from))
	}
}

// intent records a reserved step, durably, before it touches anything.
func (j *Journal) intent(s *step) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := len(j.steps) + 1
	r := record{Kind: "intent", Time: time.Now(), Step: n, Op: s.op, Path: s.path, From: s.from, Tmp: s.tmp, UndoTmp: s.undoTmp, Existed: s.existed}
	if s.op == OpMove {
		r.Size, r.SHA256, r.Ident = s.size, s.sum, s.ident
	}
	if s.op == OpMoveDir {
		r.Size, r.Manifest = s.size, s.manifest
	}
	if err := j.append(r); err != nil {
		return err
	}
	s.n, s.reserved = n, false
	j.steps = append(j.steps, s)
	return nil
}

// markDone records that a step's change is durable.
func (j *Journal) markDone(s *step, size int64, sum string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	r := record{Kind: "done", Time: time.Now(), Step: s.n}
	if s.op == OpCreate {
		r.Size, r.SHA256 = size, sum
	}
	if err := j.append(r); err != nil {
		return err
	}
	s.done = true
	if s.op == OpCreate {
		s.size, s.sum = size, sum
	}
	return nil
}

// movedOnLater says whether a later step moved s's result away (a Create
// or Move whose file a later Move took as its source).
func (j *Journal) movedOnLater(s *step) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, t := range j.steps[s.n:] {
		if t.op == OpMove && t.from == s.path {
			return true
		}
		if t.op == OpMoveDir && (t.from == s.path || strings.HasPrefix(s.path, t.from+string(filepath.Separator))) {
			return true // moved with its tree
		}
	}
	return false
}

// checkDone is the replay of a step whose done record exists: its result
// must check out.
func (j *Journal) checkDone(s *step) error {
	if s.op == OpMkdir {
		info, err := j.fsys.Stat(s.path)
		if errors.Is(err, fs.ErrNotExist) && j.movedOnLater(s) {
			return nil // the later MoveDir's replay checks it
		}
		if err != nil || !info.IsDir() {
			return fmt.Errorf("%w: step %d made the directory %s, which is not there any more (%v)", ErrChanged, s.n, s.path, err)
		}
		return nil
	}
	if s.op == OpMove {
		if _, ok, err := exists(j.fsys, s.from); err != nil {
			return err
		} else if ok {
			return fmt.Errorf("%w: step %d moved %s to %s, but a file is back at %s", ErrChanged, s.n, s.from, s.path, s.from)
		}
	}
	_, ok, err := exists(j.fsys, s.path)
	if err != nil {
		return err
	}
	if !ok {
		if j.movedOnLater(s) {
			return nil // the later step's replay checks it
		}
		return fmt.Errorf("%w: step %d's %s is missing", ErrChanged, s.n, s.path)
	}
	return j.verify(s, s.path)
}

// verify checks that the file at path has s's recorded size and SHA-256,
// or, for a Move recorded by identity, its size, inode and mtime.
func (j *Journal) verify(s *step, path string) error {
	if s.ident != nil && s.sum == "" {
		info, err := j.fsys.Stat(path)
		if err != nil {
			return err
		}
		if got, ok := identOf(info); !ok || info.Size() != s.size || *got != *s.ident {
			return fmt.Errorf("%w: %s has %d bytes, identity %v; step %d (%s) recorded %d bytes, identity %v", ErrChanged, path, info.Size(), got, s.n, s.op, s.size, *s.ident)
		}
		return nil
	}
	size, sum, err := sumFile(j.fsys, path)
	if err != nil {
		return err
	}
	if size != s.size || sum != s.sum {
		return fmt.Errorf("%w: %s has %d bytes with sha256 %s; step %d (%s) recorded %d bytes with sha256 %s", ErrChanged, path, size, sum, s.n, s.op, s.size, s.sum)
	}
	return nil
}

func tmpFor(path string) string {
	return filepath.Join(filepath.Dir(path), TmpPrefix+filepath.Base(path))
}

// absent refuses a path that exists: a run never replaces a file.
func (j *Journal) absent(what string, paths ...string) error {
	for _, p := range paths {
		_, ok, err := exists(j.fsys, p)
		if err != nil {
			return fmt.Errorf("journal: %s: %w", what, err)
		}
		if ok {
			return fmt.Errorf("journal: %s: %s exists before the step, and a run never replaces a file: %w", what, p, fs.ErrExist)
		}
	}
	return nil
}

// parentDir refuses a step whose path has no parent dir, before its
// intent is recorded.
func (j *Journal) parentDir(what, path string) error {
	info, err := j.fsys.Stat(filepath.Dir(path))
	if err != nil {
		return fmt.Errorf("journal: %s: %w", what, err)
	}
	if !info.IsDir() {
		return fmt.Errorf("journal: %s: %s is %s, not a directory", what, filepath.Dir(path), vfs.TypeName(info.Mode().Type()))
	}
	return nil
}

// removeIf removes path if it exists, saying whether it did.
func (j *Journal) removeIf(path string) (bool, error) {
	err := j.fsys.Remove(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, err
}

// Create writes a new file at final (see migrate.Steps). final and its temporary
// name (TmpPrefix in the same dir) must not exist before the run; the
// parent dir must. On a replay the write function is called again only if
// the step's done record is missing (the file is then written anew).
func (j *Journal) Create(final string, write func(w io.Writer) error) error {
	final = filepath.Clean(final)
	s, fresh, err := j.claim(OpCreate, final, "")
	if err != nil {
		return err
	}
	defer j.release(s)
	dir := filepath.Dir(final)
	switch {
	case fresh:
		s.tmp = tmpFor(final)
		if err := j.parentDir("create "+final, final); err != nil {
			return err
		}
		if err := j.absent("create "+final, final, s.tmp); err != nil {
			return err
		}
		if err := j.intent(s); err != nil {
			return err
		}
	case s.done:
		return j.checkDone(s)
	default:
		// An earlier attempt was interrupted: what it left at either name
		// is the run's own (both were checked absent before its intent).
		changed := false
		for _, p := range []string{s.tmp, s.path} {
			removed, err := j.removeIf(p)
			if err != nil {
				return fmt.Errorf("journal: create %s: removing the interrupted attempt: %w", final, err)
			}
			changed = changed || removed
		}
		if changed {
			if err := j.fsys.SyncDir(dir); err != nil {
				return fmt.Errorf("journal: create %s: %w", final, err)
			}
		}
	}
	size, sum, err := j.writeFile(s, write)
	if err != nil {
		return fmt.Errorf("journal: create %s: %w", final, err)
	}
	return j.markDone(s, size, sum)
}

type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// writeFile writes s.tmp with write, fdatasyncs it, renames it to s.path
// and fsyncs the dir.
func (j *Journal) writeFile(s *step, write func(w io.Writer) error) (int64, string, error) {
	f, err := j.fsys.Create(s.tmp)
	if err != nil {
		return 0, "", err
	}
	h, c := sha256.New(), &counter{}
	err = write(io.MultiWriter(f, h, c))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = vfs.RenameNoReplace(j.fsys, s.tmp, s.path)
	}
	if err != nil {
		if _, rerr := j.removeIf(s.tmp); rerr != nil {
			err = fmt.Errorf("%w; removing %s: %v", err, s.tmp, rerr)
		}
		return 0, "", err
	}
	if err := j.fsys.SyncDir(filepath.Dir(s.path)); err != nil {
		return 0, "", err
	}
	return c.n, hex.EncodeToString(h.Sum(nil)), nil
}

// moveSource checks the ends of a fresh Move or MoveDir (two paths; the
// target's parent a directory) and returns what the source is.
func (j *Journal) moveSource(what, from, to string) (fs.FileInfo, error) {
	if from == to {
		return nil, fmt.Errorf("journal: %s: the same path", what)
	}
	info, err := j.fsys.Stat(from)
	if err != nil {
		return nil, fmt.Errorf("journal: %s: %w", what, err)
	}
	if err := j.parentDir(what, to); err != nil {
		return nil, err
	}
	return info, nil
}

// Move moves the regular file from to to (see migrate.Steps). to must not exist
// before the run, nor the temporary names of a copy either way (TmpPrefix
// beside to and beside from). What recognises the file is recorded before
// anything moves. Across filesystems it is the source's size and SHA-256,
// and every copy is checked against them before it is renamed into place.
// Within one filesystem (the source and to's dir on one st_dev) the move is
// a rename, which keeps the inode and its content, so the source's size,
// device, inode and mtime recognise it on resume and rollback, without
// reading it: a file replaced or rewritten since has another inode or
// mtime. Should such a rename still fail with EXDEV (two mounts of one
// filesystem), the source's SHA-256 is recorded (a "sum" record) before
// the copy starts, and the copy is checked against it as across
// filesystems.
func (j *Journal) Move(from, to string) error {
	from, to = filepath.Clean(from), filepath.Clean(to)
	s, fresh, err := j.claim(OpMove, to, from)
	if err != nil {
		return err
	}
	defer j.release(s)
	what := "move " + from + " to " + to
	switch {
	case fresh:
		info, err := j.moveSource(what, from, to)
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return fmt.Errorf("journal: %s: %w", what, vfs.NotRegular(info.Mode().Type()))
		}
		s.tmp, s.undoTmp = tmpFor(to), tmpFor(from)
		if err := j.absent(what, to, s.tmp, s.undoTmp); err != nil {
			return err
		}
		if id, ok := identOf(info); ok && sameDevice(j.fsys, id, filepath.Dir(to)) {
			s.size, s.ident = info.Size(), id
		} else if s.size, s.sum, err = sumFile(j.fsys, from); err != nil {
			return fmt.Errorf("journal: %s: %w", what, err)
		}
		if err := j.intent(s); err != nil {
			return err
		}
	case s.done:
		return j.checkDone(s)
	}
	if err := j.doMove(s, fresh); err != nil {
		return fmt.Errorf("journal: %s: %w", what, err)
	}
	return j.markDone(s, s.size, s.sum)
}

// recordSum records, durably, the SHA-256 of a Move's file at src, which
// must still be the file its intent recorded by identity: from then on
// the step is checked by its checksum.
func (j *Journal) recordSum(s *step, src string) error {
	if err := j.verify(s, src); err != nil {
		return err
	}
	size, sum, err := sumFile(j.fsys, src)
	if err != nil {
		return err
	}
	if size != s.size {
		return fmt.Errorf("%w: %s has %d bytes; step %d recorded %d", ErrChanged, src, size, s.n, s.size)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.append(record{Kind: "sum", Time: time.Now(), Step: s.n, Size: size, SHA256: sum}); err != nil {
		return err
	}
	s.sum = sum
	return nil
}

// doMove carries a Move out from whatever an earlier attempt left.
func (j *Journal) doMove(s *step, fresh bool) error {
	if removed, err := j.removeIf(s.tmp); err != nil {
		return err
	} else if removed { // a partial copy: restart
		if err := j.fsys.SyncDir(filepath.Dir(s.tmp)); err != nil {
			return err
		}
	}
	_, fromOK, err := exists(j.fsys, s.from)
	if err != nil {
		return err
	}
	_, toOK, err := exists(j.fsys, s.path)
	if err != nil {
		return err
	}
	switch {
	case fromOK && !toOK:
		if !fresh {
			if err := j.verify(s, s.from); err != nil {
				return err
			}
		}
		return j.transfer(s, s.from, s.path, s.tmp)
	case !fromOK && toOK: // renamed, or copied and the source removed
		if err := j.verify(s, s.path); err != nil {
			return err
		}
		return j.syncDirs(s.path, s.from)
	case fromOK && toOK: // copied and renamed into place, the source not yet removed
		if err := j.verify(s, s.path); err != nil {
			return err
		}
		if err := j.fsys.Remove(s.from); err != nil {
			return err
		}
		return j.syncDirs(s.path, s.from)
	}
	return fmt.Errorf("%w: step %d's file is neither at %s nor at %s", ErrChanged, s.n, s.from, s.path)
}

// transfer moves src to dst: a rename, or, across filesystems (EXDEV), a
// durable copy through tmp checked against s's checksum, then the removal
// of src; both dirs fsync'd.
func (j *Journal) transfer(s *step, src, dst, tmp string) error {
	err := vfs.RenameNoReplace(j.fsys, src, dst)
	if err == nil {
		return j.syncDirs(dst, src)
	}
	if !errors.Is(err, syscall.EXDEV) {
		return err
	}
	if s.sum == "" {
		// Recorded by identity, yet a copy after all (two mounts of one
		// filesystem): checksum the source before the first byte is copied.
		if err := j.recordSum(s, src); err != nil {
			return err
		}
	}
	h := sha256.New()
	err = vfs.CopyDurable(j.fsys, src, dst, vfs.CopyOptions{
		Tmp: tmp,
		Tee: h,
		Check: func(info fs.FileInfo) error {
			if info.Size() != s.size {
				return fmt.Errorf("%w: %s has %d bytes; step %d recorded %d", ErrChanged, src, info.Size(), s.n, s.size)
			}
			return nil
		},
		Verify: func() error {
			if sum := hex.EncodeToString(h.Sum(nil)); sum != s.sum {
				return fmt.Errorf("%w: %s read with sha256 %s; step %d recorded %s", ErrChanged, src, sum, s.n, s.sum)
			}
			return nil
		},
	})
	if err != nil {
		return err
	}
	if err := j.fsys.Remove(src); err != nil {
		return err
	}
	return j.fsys.SyncDir(filepath.Dir(src))
}

// syncDirs fsyncs the dirs of the paths, each once, in order.
func (j *Journal) syncDirs(paths ...string) error {
	seen := map[string]bool{}
	for _, p := range paths {
		d := filepath.Dir(p)
		if seen[d] {
			continue
		}
		seen[d] = true
		if err := j.fsys.SyncDir(d); err != nil {
			return err
		}
	}
	return nil
}

// Mkdir creates dir (see migrate.Steps); its parent must exist. A dir already
// there before the run is recorded as such and kept by a rollback.
func (j *Journal) Mkdir(dir string) error {
	dir = filepath.Clean(dir)
	s, fresh, err := j.claim(OpMkdir, dir, "")
	if err != nil {
		return err
	}
	defer j.release(s)
	switch {
	case fresh:
		info, ok, err := exists(j.fsys, dir)
		if err != nil {
			return fmt.Errorf("journal: mkdir %s: %w", dir, err)
		}
		if ok && !info.IsDir() {
			return fmt.Errorf("journal: mkdir %s: %w", dir, fs.ErrExist)
		}
		if err := j.parentDir("mkdir "+dir, dir); err != nil {
			return err
		}
		s.existed = ok
		if err := j.intent(s); err != nil {
			return err
		}
	case s.done:
		return j.checkDone(s)
	}
	if !s.existed {
		if err := j.fsys.Mkdir(dir, 0o755); err != nil && (fresh || !errors.Is(err, fs.ErrExist)) {
			return fmt.Errorf("journal: mkdir %s: %w", dir, err)
		}
		if err := j.fsys.SyncDir(filepath.Dir(dir)); err != nil {
			return fmt.Errorf("journal: mkdir %s: %w", dir, err)
		}
	}
	return j.markDone(s, 0, "")
}

// Phase records that a named phase is complete; every step so far must
// be done. Recording a phase already recorded is a no-op.
func (j *Journal) Phase(name string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, p := range j.phases {
		if p == name {
			return nil
		}
	}
	if err := j.writable(); err != nil {
		return err
	}
	if !j.finished.IsZero() {
		return fmt.Errorf("%w: the run %s is finished: no new phase (%s)", ErrState, j.run, name)
	}
	for _, s := range j.byKey {
		if s.busy || !s.done {
			return fmt.Errorf("%w: phase %s: step %s %s is not done", ErrState, name, s.op, s.path)
		}
	}
	now := time.Now()
	if err := j.append(record{Kind: "phase", Time: now, Name: name}); err != nil {
		return err
	}
	j.addPhase(name, now)
	return nil
}

// PhaseDone reports whether the phase name is recorded complete: what a
// resumed run asks before re-running a phase whose inputs a later phase
// may have moved.
func (j *Journal) PhaseDone(name string) bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, p := range j.phases {
		if p == name {
			return true
		}
	}
	return false
}

// fileIdent is what recognises a file a rename moved: its inode and mtime
// (a rename keeps both, and its content).
type fileIdent struct {
	Dev   uint64 `json:"dev"`
	Ino   uint64 `json:"ino"`
	Mtime int64  `json:"mtime_ns"`
}

func identOf(info fs.FileInfo) (*fileIdent, bool) {
	id, ok := vfs.Identity(info)
	if !ok {
		return nil, false
	}
	return &fileIdent{Dev: id.Dev, Ino: id.Ino, Mtime: info.ModTime().UnixNano()}, true
}

// sameDevice says whether dir is on the device id.Dev.
func sameDevice(fsys vfs.FS, id *fileIdent, dir string) bool {
	info, err := fsys.Stat(dir)
	if err != nil {
		return false
	}
	dev, ok := vfs.DeviceID(info)
	return ok && dev == id.Dev
}
