package journal

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"github.com/waltool/waltool/vfs"
)

// A rollback refuses, changing nothing, a tree it cannot restore: every
// check it makes before a change (a file's size and checksum or identity,
// a tree against its manifest, a destination free, a dir it removes
// empty) is made for every step it will undo before it changes anything.
// Checking each step against the tree as it is now would not do: a step
// is undone on the tree that the undos of the steps after it (and of the
// runs after it) leave, a file created in a replica dir that a later step
// moved is found at the move's target, a dir is empty only once the files
// moved into it are moved back. So the pre-check runs the rollback's own
// undo code, step by step in the rollback's order, on a simulation of the
// tree's names (nsFS): the real tree is only read, renames and removals
// change a map of names, and every read of a name goes to the file or
// tree that name stands for by then. The same code deciding means a step
// the pre-check accepts is one the rollback undoes, whatever state a
// crash left it in.

// CheckRollback checks, changing nothing, that the runs can be rolled back
// one after the other in the order given (newest first): every step of
// each not yet undone, in the order its rollback undoes them, on the tree
// the undos before it leave. It fails with the first step that could not
// be undone and why (ErrChanged when a file or tree is not what the step
// recorded). Rollback makes the same check for its own run before its
// first change; a caller that rolls back several runs in a row checks
// them all first with this. The caller holds the root's lock.
func CheckRollback(runs ...*Journal) error {
	if len(runs) == 0 {
		return nil
	}
	ns := newNSFS(runs[0].fsys)
	for _, j := range runs {
		if err := func() error {
			j.mu.Lock()
			defer j.mu.Unlock()
			if err := j.foreignErr(); err != nil {
				return err
			}
			return j.checkUndo(ns)
		}(); err != nil {
			return err
		}
	}
	return nil
}

// checkUndo runs the undo of every step of j not yet undone, in reverse
// order, on ns. Called with j.mu held.
func (j *Journal) checkUndo(ns *nsFS) error {
	if !j.rolledBack.IsZero() {
		return nil
	}
	// A shadow of j that reads and "changes" the tree through ns and can
	// append no record: undo touches nothing else of the journal.
	sh := &Journal{fsys: ns, root: j.root, dir: j.dir, run: j.run, byKey: map[string]*step{},
		broken: errors.New("journal: a rollback's pre-check writes no record")}
	for i := len(j.steps) - 1; i >= 0; i-- {
		s := j.steps[i]
		if s.undone {
			continue
		}
		c := *s
		if _, err := sh.undo(&c); err != nil {
			return fmt.Errorf("step %d (%s %s) cannot be undone: %w", s.n, s.op, s.path, err)
		}
	}
	return nil
}

// nsFS simulates, over a base it only reads, what a rollback does to the
// names of a tree: Remove and RenameNoReplace change an in-memory map of
// names, never the base; every read of a name (Stat, ReadDir,
// OpenReadOnly) goes to the base path whose file or tree the name stands
// for now. Data is never written (a rollback only writes data when it
// copies across filesystems, which the simulation's renames never need:
// the checks before a copy are the ones before a rename), so Create,
// Mkdir, Truncate and OpenDir fail. Paths are cleaned and otherwise taken
// as given, as the journal records them. Not safe for concurrent use.
type nsFS struct {
	base vfs.FS
	// names overrides the base for a path and everything under it: gone,
	// or standing for the base path at (a file or tree renamed there).
	names map[string]nsName
}

type nsName struct {
	gone bool
	at   string
}

var errNotSimulated = errors.New("journal: not simulated by a rollback's pre-check")

func newNSFS(base vfs.FS) *nsFS {
	return &nsFS{base: vfs.ReadOnly(base), names: map[string]nsName{}}
}

// at is the base path that p stands for, ok false when p is gone.
func (n *nsFS) at(p string) (string, bool) {
	p = filepath.Clean(p)
	for a := p; ; {
		if nm, ok := n.names[a]; ok {
			if nm.gone {
				return "", false
			}
			rel, err := filepath.Rel(a, p)
			if err != nil {
				return "", false
			}
			return filepath.Join(nm.at, rel), true
		}
		up := filepath.Dir(a)
		if up == a {
			return p, true
		}
		a = up
	}
}

func notExist(op, p string) error { return &fs.PathError{Op: op, Path: p, Err: fs.ErrNotExist} }

// nsInfo is a base file's info under the name it has in the simulation.
type nsInfo struct {
	fs.FileInfo
	name string
}

func (i nsInfo) Name() string { return i.name }

func (n *nsFS) Stat(p string) (fs.FileInfo, error) {
	b, ok := n.at(p)
	if !ok {
		return nil, notExist("stat", p)
	}
	info, err := n.base.Stat(b)
	if err != nil {
		return nil, err
	}
	return nsInfo{info, filepath.Base(filepath.Clean(p))}, nil
}

func (n *nsFS) OpenReadOnly(p string) (vfs.File, error) {
	b, ok := n.at(p)
	if !ok {
		return nil, notExist("open", p)
	}
	return n.base.OpenReadOnly(b)
}

func (n *nsFS) ReadDir(dir string) ([]fs.DirEntry, error) {
	dir = filepath.Clean(dir)
	b, ok := n.at(dir)
	if !ok {
		return nil, notExist("readdir", dir)
	}
	ents, err := n.base.ReadDir(b)
	if err != nil {
		return nil, err
	}
	byName := map[string]fs.DirEntry{}
	for _, e := range ents {
		byName[e.Name()] = e
	}
	// The names of the simulation directly in dir: gone, or renamed in.
	for k, nm := range n.names {
		if filepath.Dir(k) != dir || k == dir {
			continue
		}
		name := filepath.Base(k)
		if nm.gone {
			delete(byName, name)
			continue
		}
		info, err := n.base.Stat(nm.at)
		if err != nil {
			return nil, err
		}
		byName[name] = fs.FileInfoToDirEntry(nsInfo{info, name})
	}
	out := make([]fs.DirEntry, 0, len(byName))
	for _, e := range byName {
		out = append(out, e)
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Name() < out[b].Name() })
	return out, nil
}

// forget drops the names at and under p.
func (n *nsFS) forget(p string) {
	for k := range n.names {
		if k == p || strings.HasPrefix(k, p+string(filepath.Separator)) {
			delete(n.names, k)
		}
	}
}

func (n *nsFS) Remove(p string) error {
	p = filepath.Clean(p)
	info, err := n.Stat(p)
	if err != nil {
		return err
	}
	if info.IsDir() {
		ents, err := n.ReadDir(p)
		if err != nil {
			return err
		}
		if len(ents) > 0 {
			return &fs.PathError{Op: "remove", Path: p, Err: syscall.ENOTEMPTY}
		}
	}
	n.forget(p)
	n.names[p] = nsName{gone: true}
	return nil
}

func (n *nsFS) RenameNoReplace(oldname, newname string) error {
	oldname, newname = filepath.Clean(oldname), filepath.Clean(newname)
	fail := func(err error) error { return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err} }
	if _, err := n.Stat(oldname); err != nil {
		return err
	}
	if _, err := n.Stat(newname); err == nil {
		return fail(fs.ErrExist)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if parent, err := n.Stat(filepath.Dir(newname)); err != nil {
		return fail(err)
	} else if !parent.IsDir() {
		return fail(syscall.ENOTDIR)
	}
	if strings.HasPrefix(newname, oldname+string(filepath.Separator)) {
		return fail(syscall.EINVAL)
	}
	b, _ := n.at(oldname)
	// The names under oldname move with it.
	under := map[string]nsName{}
	for k, nm := range n.names {
		if strings.HasPrefix(k, oldname+string(filepath.Separator)) {
			under[newname+k[len(oldname):]] = nm
		}
	}
	n.forget(oldname)
	n.forget(newname)
	n.names[oldname] = nsName{gone: true}
	n.names[newname] = nsName{at: b}
	for k, nm := range under {
		n.names[k] = nm
	}
	return nil
}

func (n *nsFS) Rename(oldname, newname string) error {
	return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: errNotSimulated}
}

func (n *nsFS) SyncDir(dir string) error {
	info, err := n.Stat(dir)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return &fs.PathError{Op: "syncdir", Path: dir, Err: syscall.ENOTDIR}
	}
	return nil
}

func (n *nsFS) Create(p string) (vfs.File, error) {
	return nil, &fs.PathError{Op: "create", Path: p, Err: errNotSimulated}
}
func (n *nsFS) Mkdir(p string, _ fs.FileMode) error {
	return &fs.PathError{Op: "mkdir", Path: p, Err: errNotSimulated}
}
func (n *nsFS) MkdirAll(p string, _ fs.FileMode) error {
	return &fs.PathError{Op: "mkdir", Path: p, Err: errNotSimulated}
}
func (n *nsFS) OpenDir(p string) (vfs.Dir, error) {
	return nil, &fs.PathError{Op: "opendir", Path: p, Err: errNotSimulated}
}
func (n *nsFS) Truncate(p string, _ int64) error {
	return &fs.PathError{Op: "truncate", Path: p, Err: errNotSimulated}
}
