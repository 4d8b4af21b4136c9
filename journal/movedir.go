package journal

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"syscall"
	"time"

	"github.com/waltool/waltool/vfs"
)

// OpMoveDir is the kind of a MoveDir step.
const OpMoveDir = "movedir"

// Suffixes of the names a MoveDir uses beside a replica dir, both skipped
// by the server's replica loader (dataroot's invalid suffixes): a copy
// being written (at the target; at the source during a rollback's copy
// back) and the origin moved aside until the copy is in place.
const (
	DirTmpSuffix = ".tmp"
	DirOriSuffix = ".ori"
)

// entry is one entry of a moved tree's manifest, relative to the tree's
// root, in pre-order by name. A file's identity (inode and size) is what
// proves a renamed tree unchanged without reading it; a copied tree is
// proved by the content hashes recorded once the copy is durable. The
// mtime is not part of it: fdatasync does not make it durable, so a power
// loss may take it back. Pegasus never rewrites a replica file in place
// with the same size (plogs grow, SSTs are immutable, metadata is
// replaced through a new file), so inode and size tell its files apart.
type entry struct {
	Path string `json:"p"`
	Dir  bool   `json:"d,omitempty"`
	Size int64  `json:"s,omitempty"`
	Ino  uint64 `json:"i,omitempty"`
}

// MoveDir moves the directory tree from to to, so that at no instant are
// two complete, loadable copies of it visible under names the server's
// replica loader takes (to and its .tmp/.ori names are checked absent
// before the intent, with from's .tmp and .ori). On one filesystem it is
// one rename (RENAME_NOREPLACE) and the fsync of both parents. Across
// filesystems (EXDEV) the tree is copied into <to>.tmp and made durable
// (one syncfs of the target filesystem, then its parent's fsync), its
// content hashes recorded ("copied"), the source renamed to <from>.ori
// (fsync), the copy renamed to to (fsync); the step is then done, and
// <from>.ori is removed (a replay of the done step removes what a crash
// left of it).
//
// The intent records the tree's manifest: every entry's relative path,
// type, size and inode (a walk and a stat per entry, no read), so
// a rename is proved by identity and only a copy reads the bytes. A
// resume carries the step on from any state a crash leaves; Rollback
// brings the tree back to from, byte for byte, from any state, refusing a
// tree that no longer matches the manifest (a file added, removed,
// resized, or rewritten).
func (j *Journal) MoveDir(from, to string) error {
	from, to = filepath.Clean(from), filepath.Clean(to)
	s, fresh, err := j.claim(OpMoveDir, to, from)
	if err != nil {
		return err
	}
	defer j.release(s)
	what := "move dir " + from + " to " + to
	switch {
	case fresh:
		info, err := j.moveSource(what, from, to)
		if err != nil {
			return err
		}
		if !info.IsDir() {
			return fmt.Errorf("journal: %s: %s is %s, not a directory", what, from, vfs.TypeName(info.Mode().Type()))
		}
		if err := j.absent(what, to, to+DirTmpSuffix, to+DirOriSuffix, from+DirTmpSuffix, from+DirOriSuffix); err != nil {
			return err
		}
		if s.manifest, s.size, err = j.manifest(from); err != nil {
			return fmt.Errorf("journal: %s: %w", what, err)
		}
		s.tmp, s.undoTmp = to+DirTmpSuffix, from+DirTmpSuffix
		if err := j.intent(s); err != nil {
			return err
		}
	case s.done:
		if err := j.checkDoneDir(s); err != nil {
			return fmt.Errorf("journal: %s: %w", what, err)
		}
		return nil
	}
	if err := j.forwardDir(s, !fresh); err != nil {
		return fmt.Errorf("journal: %s: %w", what, err)
	}
	if err := j.markDone(s, s.size, ""); err != nil {
		return err
	}
	if err := j.removeTreeSync(from + DirOriSuffix); err != nil {
		return fmt.Errorf("journal: %s: removing the origin: %w", what, err)
	}
	return nil
}

// manifest walks the tree at root: entries in pre-order by name, and the
// total size of its files. Only dirs and regular files are moved.
func (j *Journal) manifest(root string) ([]entry, int64, error) {
	var out []entry
	var total int64
	var walk func(rel string) error
	walk = func(rel string) error {
		ents, err := j.fsys.ReadDir(filepath.Join(root, rel))
		if err != nil {
			return err
		}
		for _, e := range ents {
			p := filepath.Join(rel, e.Name())
			info, err := j.fsys.Stat(filepath.Join(root, p))
			if err != nil {
				return err
			}
			if e.Type()&fs.ModeSymlink != 0 || !(info.IsDir() || info.Mode().IsRegular()) {
				return fmt.Errorf("%s: %w", filepath.Join(root, p), vfs.NotRegular(e.Type()|info.Mode().Type()))
			}
			en := entry{Path: p, Dir: info.IsDir()}
			if !en.Dir {
				en.Size = info.Size()
				total += en.Size
				if id, ok := vfs.Identity(info); ok {
					en.Ino = id.Ino
				}
			}
			out = append(out, en)
			if en.Dir {
				if err := walk(p); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(""); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// How checkTree proves a tree is the one the manifest describes.
type treeCheck int

const (
	// byIdentity: every file is the original inode with its size: the
	// tree as it was, or renamed.
	byIdentity treeCheck = iota
	// byIdentityOrHash: a file that is not the original inode must have
	// the recorded content hash (a copy).
	byIdentityOrHash
	// byShape: the same entries and sizes; the content is left to the
	// copy that reads it (which checks the hashes).
	byShape
)

// checkTree compares the tree at root with s's manifest.
func (j *Journal) checkTree(s *step, root string, how treeCheck) error {
	got, _, err := j.manifest(root)
	if err != nil {
		return err
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s: %s (step %d recorded the tree at %s)", ErrChanged, root, fmt.Sprintf(format, a...), s.n, s.from)
	}
	if len(got) != len(s.manifest) {
		return bad("%d entries, not %d", len(got), len(s.manifest))
	}
	for i, g := range got {
		w := s.manifest[i]
		switch {
		case g.Path != w.Path:
			return bad("%s where %s was", g.Path, w.Path)
		case g.Dir != w.Dir:
			return bad("%s changed type", g.Path)
		case g.Dir:
			continue
		case g.Size != w.Size:
			return bad("%s has %d bytes, not %d", g.Path, g.Size, w.Size)
		case how == byShape:
			continue
		case g.Ino == w.Ino && w.Ino != 0:
			continue
		case how == byIdentity || s.hashes == nil:
			return bad("%s is not the original file (inode %d, recorded %d)", g.Path, g.Ino, w.Ino)
		}
		_, sum, err := sumFile(j.fsys, filepath.Join(root, g.Path))
		if err != nil {
			return err
		}
		if sum != s.hashes[i] {
			return bad("%s has sha256 %s, the copy recorded %s", g.Path, sum, s.hashes[i])
		}
	}
	return nil
}

// forwardDir carries a MoveDir out from whatever an earlier attempt left
// (resumed), up to the tree in place at s.path.
func (j *Journal) forwardDir(s *step, resumed bool) error {
	src, dst := s.from, s.path
	srcOri, dstTmp := src+DirOriSuffix, dst+DirTmpSuffix
	ex, err := j.existAll(src, dst, srcOri, dstTmp)
	if err != nil {
		return err
	}
	switch {
	case ex[dst]:
		if ex[src] {
			return fmt.Errorf("%w: both %s and %s exist", ErrChanged, src, dst)
		}
		// Renamed, or the copy renamed into place: complete.
		if err := j.checkTree(s, dst, byIdentityOrHash); err != nil {
			return err
		}
		if ex[dstTmp] {
			return fmt.Errorf("%w: both %s and %s exist", ErrChanged, dst, dstTmp)
		}
		return j.syncDirs(dst, src)
	case ex[src]:
		if ex[srcOri] {
			return fmt.Errorf("%w: both %s and %s exist", ErrChanged, src, srcOri)
		}
		if ex[dstTmp] { // a copy interrupted (or never put in place): restart it
			if err := j.removeTreeSync(dstTmp); err != nil {
				return err
			}
		}
		if resumed {
			if err := j.checkTree(s, src, byIdentity); err != nil {
				return err
			}
		}
		err := vfs.RenameNoReplace(j.fsys, src, dst)
		if err == nil {
			return j.syncDirs(dst, src)
		}
		if !errors.Is(err, syscall.EXDEV) {
			return err
		}
		hashes, err := j.copyTree(s, src, dstTmp, byIdentity)
		if err != nil {
			return err
		}
		if err := j.recordCopied(s, hashes); err != nil {
			return err
		}
		if err := j.renameSync(src, srcOri); err != nil {
			return err
		}
		return j.renameSync(dstTmp, dst)
	case ex[srcOri] && ex[dstTmp]:
		// The copy was durable and its hashes recorded before the source
		// was moved aside.
		if err := j.checkTree(s, dstTmp, byShape); err != nil {
			return err
		}
		return j.renameSync(dstTmp, dst)
	}
	return fmt.Errorf("%w: step %d's tree is neither at %s nor at %s", ErrChanged, s.n, src, dst)
}

// checkDoneDir is the replay of a done MoveDir: the tree is at s.path
// and matches the manifest; what a crash left of the origin is removed.
func (j *Journal) checkDoneDir(s *step) error {
	if _, ok, err := exists(j.fsys, s.from); err != nil {
		return err
	} else if ok {
		return fmt.Errorf("%w: step %d moved %s to %s, but a dir is back at %s", ErrChanged, s.n, s.from, s.path, s.from)
	}
	if err := j.checkTree(s, s.path, byIdentityOrHash); err != nil {
		return err
	}
	return j.removeTreeSync(s.from + DirOriSuffix)
}

// undoMoveDir brings a MoveDir's tree back to s.from from any state.
// Called with j.mu held.
func (j *Journal) undoMoveDir(s *step) (string, error) {
	a, b := s.from, s.path
	aOri, aTmp, bOri, bTmp := a+DirOriSuffix, a+DirTmpSuffix, b+DirOriSuffix, b+DirTmpSuffix
	if s.done {
		// Once done, the origin moved aside is the run's garbage.
		if err := j.removeTreeSync(aOri); err != nil {
			return "", err
		}
	}
	ex, err := j.existAll(a, b, aOri, aTmp, bOri, bTmp)
	if err != nil {
		return "", err
	}
	cleanup := func(paths ...string) error {
		for _, p := range paths {
			if ex[p] {
				if err := j.removeTreeSync(p); err != nil {
					return err
				}
			}
		}
		return nil
	}
	switch {
	case ex[a]:
		if ex[b] {
			return "", fmt.Errorf("%w: both %s and %s exist", ErrChanged, a, b)
		}
		if err := j.checkTree(s, a, byIdentityOrHash); err != nil {
			return "", err
		}
		if err := cleanup(bTmp, bOri, aTmp); err != nil {
			return "", err
		}
		return "nothing to undo (at its source)", nil
	case ex[aOri]:
		// Not done: the original is aside, its copy at b.tmp or b.
		if err := j.checkTree(s, aOri, byIdentity); err != nil {
			return "", fmt.Errorf("not restoring it: %w", err)
		}
		if ex[b] {
			if ex[bTmp] {
				return "", fmt.Errorf("%w: both %s and %s exist", ErrChanged, b, bTmp)
			}
			if err := j.renameSync(b, bTmp); err != nil {
				return "", err
			}
			ex[bTmp] = true
		}
		if err := j.renameSync(aOri, a); err != nil {
			return "", err
		}
		if err := cleanup(bTmp, aTmp); err != nil {
			return "", err
		}
		return "restored the origin, removed the copy", nil
	case ex[b]:
		if ex[bOri] {
			return "", fmt.Errorf("%w: both %s and %s exist", ErrChanged, b, bOri)
		}
		if err := cleanup(aTmp, bTmp); err != nil {
			return "", err
		}
		if err := j.checkTree(s, b, byIdentityOrHash); err != nil {
			return "", fmt.Errorf("not moving it back: %w", err)
		}
		err := vfs.RenameNoReplace(j.fsys, b, a)
		if err == nil {
			return "moved back", j.syncDirs(a, b)
		}
		if !errors.Is(err, syscall.EXDEV) {
			return "", err
		}
		if _, err := j.copyTree(s, b, aTmp, byIdentityOrHash); err != nil {
			return "", err
		}
		if err := j.renameSync(b, bOri); err != nil {
			return "", err
		}
		if err := j.renameSync(aTmp, a); err != nil {
			return "", err
		}
		return "copied back", j.removeTreeSync(bOri)
	case ex[bOri] && ex[aTmp]:
		// A copy back was durable before the tree at b was moved aside.
		if err := j.checkTree(s, aTmp, byShape); err != nil {
			return "", err
		}
		if err := j.renameSync(aTmp, a); err != nil {
			return "", err
		}
		return "copied back", j.removeTreeSync(bOri)
	}
	return "", fmt.Errorf("%w: step %d's tree is neither at %s nor at %s", ErrChanged, s.n, a, b)
}

// copyTree copies the tree at src, entry by entry of s's manifest, into
// dst (which must not exist), checks each source file (its size, and its
// identity or recorded hash as how says, against the bytes read) and
// makes the copy durable: a syncfs of dst's filesystem through a handle
// opened before the first write (so it reports any writeback error of
// the copy), then an fsync of dst's parent. It returns the content hashes,
// aligned with the manifest ("" for dirs). A failure removes the partial
// copy (best effort; a resume or rollback removes what is left).
func (j *Journal) copyTree(s *step, src, dst string, how treeCheck) (hashes []string, err error) {
	if err := j.checkTree(s, src, byShape); err != nil {
		return nil, err
	}
	if err := j.fsys.Mkdir(dst, 0o755); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			if rerr := j.removeTree(dst); rerr != nil {
				err = fmt.Errorf("%w; removing the partial copy %s: %v", err, dst, rerr)
			}
		}
	}()
	d, err := j.fsys.OpenDir(dst)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	hashes = make([]string, len(s.manifest))
	buf := make([]byte, 1<<20)
	for i, e := range s.manifest {
		if e.Dir {
			if err := j.fsys.Mkdir(filepath.Join(dst, e.Path), 0o755); err != nil {
				return nil, err
			}
			continue
		}
		sum, err := j.copyFile(s, i, filepath.Join(src, e.Path), filepath.Join(dst, e.Path), how, buf)
		if err != nil {
			return nil, err
		}
		hashes[i] = sum
	}
	if err := d.SyncFS(); err != nil {
		return nil, err
	}
	if err := j.fsys.SyncDir(filepath.Dir(dst)); err != nil {
		return nil, err
	}
	return hashes, nil
}

// copyFile copies manifest entry i from src to dst, returning its SHA-256.
func (j *Journal) copyFile(s *step, i int, src, dst string, how treeCheck, buf []byte) (string, error) {
	e := s.manifest[i]
	in, err := j.fsys.OpenReadOnly(src)
	if err != nil {
		return "", err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return "", err
	}
	if info.Size() != e.Size {
		return "", fmt.Errorf("%w: %s has %d bytes; step %d recorded %d", ErrChanged, src, info.Size(), s.n, e.Size)
	}
	id, _ := vfs.Identity(info)
	original := e.Ino != 0 && id.Ino == e.Ino
	if !original && (how == byIdentity || s.hashes == nil) {
		return "", fmt.Errorf("%w: %s is not the original file (inode %d); step %d recorded inode %d", ErrChanged, src, id.Ino, s.n, e.Ino)
	}
	out, err := j.fsys.Create(dst)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(out, h), io.LimitReader(in, e.Size+1), buf)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", err
	}
	if n != e.Size {
		return "", fmt.Errorf("%w: copied %d bytes of %s; step %d recorded %d", ErrChanged, n, src, s.n, e.Size)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	if s.hashes != nil && sum != s.hashes[i] {
		return "", fmt.Errorf("%w: %s read with sha256 %s; step %d recorded %s", ErrChanged, src, sum, s.n, s.hashes[i])
	}
	return sum, nil
}

// recordCopied records, durably, the content hashes of a MoveDir's copy
// before its source is moved aside.
func (j *Journal) recordCopied(s *step, hashes []string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.append(record{Kind: "copied", Time: time.Now(), Step: s.n, Hashes: hashes}); err != nil {
		return err
	}
	s.hashes = hashes
	return nil
}

// existAll says which of the paths exist.
func (j *Journal) existAll(paths ...string) (map[string]bool, error) {
	m := map[string]bool{}
	for _, p := range paths {
		_, ok, err := exists(j.fsys, p)
		if err != nil {
			return nil, err
		}
		m[p] = ok
	}
	return m, nil
}

// renameSync renames without replacing and fsyncs both parents, the
// source's last, so the new name is durable before the old one goes.
func (j *Journal) renameSync(from, to string) error {
	if err := vfs.RenameNoReplace(j.fsys, from, to); err != nil {
		return err
	}
	return j.syncDirs(to, from)
}

// removeTree removes the tree at root (nothing there is fine), children
// first.
func (j *Journal) removeTree(root string) error {
	info, ok, err := exists(j.fsys, root)
	if err != nil || !ok {
		return err
	}
	if info.IsDir() {
		ents, err := j.fsys.ReadDir(root)
		if err != nil {
			return err
		}
		for _, e := range ents {
			if err := j.removeTree(filepath.Join(root, e.Name())); err != nil {
				return err
			}
		}
	}
	if err := j.fsys.Remove(root); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// removeTreeSync removes the tree at root and fsyncs its parent when
// there was one.
func (j *Journal) removeTreeSync(root string) error {
	_, ok, err := exists(j.fsys, root)
	if err != nil || !ok {
		return err
	}
	if err := j.removeTree(root); err != nil {
		return err
	}
	return j.fsys.SyncDir(filepath.Dir(root))
}
