package vfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// DefaultOverlayLimit is the memory bound of an OverlayFS whose Limit is 0.
const DefaultOverlayLimit = 64 << 20

// ErrOverlayFull is the cause when a write, a truncate or the copy-up of a
// base file would make an OverlayFS hold more than its Limit.
var ErrOverlayFull = errors.New("vfs: overlay memory limit reached")

// OverlayFS is an in-memory copy-on-write layer over a base filesystem
// that is only ever read: a simulation (what a Pegasus server of another
// version would write next to a real data root, a torn tail, a crash)
// writes into memory and replays the result, and the operator's data is
// never touched.
//
// Reads see the base merged with memory; writes go to memory only. A
// simulated server does not only add files, it changes existing ones: it
// rewrites .init-info (writes .init-info.tmp, then renames it over the old
// one), renames a log file to <name>.removed, removes and truncates files.
// So a change to a base name happens in memory, and the base name is
// hidden:
//
//   - Removing a base name, or renaming onto one, whites it out: it reads
//     as absent everywhere (Stat, OpenReadOnly, ReadDir, and the lookups
//     of every other operation), and a whited-out directory hides all
//     under it. A base directory is removed, or renamed onto, only if
//     nothing in it is visible (ENOTEMPTY otherwise), as with rmdir(2).
//   - Renaming or truncating a base file first copies it up: its bytes are
//     read into memory, counted against Limit (ErrOverlayFull naming it if
//     they do not fit), and its base name is whited out. A symlink to a
//     file is copied up as a regular file holding its content. Renaming a
//     base directory (no simulation needs it), or renaming or truncating a
//     base name that cannot be read as a file (a dangling symlink, a
//     FIFO), fails with a *fs.PathError wrapping ErrReadOnly.
//   - Create and Mkdir of a name visible in either layer fail with
//     fs.ErrExist (a base name's error also matches ErrReadOnly), as does
//     RenameNoReplace onto one; a whited-out name is absent and may be
//     made again.
//
// A handle opened on a base file before it was copied up keeps reading the
// base, as a POSIX descriptor keeps its inode; opens after read the memory
// copy. Written lists the files in memory and Hidden the whited-out base
// names. The base is wrapped with ReadOnly so that no bug can write
// through. Nothing is durable: File.Sync, SyncDir and Dir.Sync and SyncFS
// succeed and do nothing.
//
// Paths are cleaned with filepath.Clean and otherwise taken as given:
// "d/x" and "/abs/d/x" are different names even when they are one file.
// Safe for concurrent use: one mutex guards the overlay, so a writer and
// readers of one overlay file may run at once.
type OverlayFS struct {
	// Limit bounds the bytes of file data held in memory (files removed
	// while open count until closed); 0 or less means DefaultOverlayLimit.
	// Set it before use.
	Limit int64

	orig FS // as given, for String
	base FS // ReadOnly(orig)

	mu     sync.Mutex
	nodes  map[string]*ovNode  // cleaned path -> file or directory in memory
	hidden map[string]struct{} // cleaned paths of the whited-out base names
	held   int64               // bytes of data of the nodes not yet released
}

type ovNode struct {
	dir     bool
	perm    fs.FileMode
	data    []byte
	modTime time.Time
	open    int  // handles open on it
	linked  bool // false once removed or replaced by a rename
}

var (
	_ FS               = (*OverlayFS)(nil)
	_ NoReplaceRenamer = (*OverlayFS)(nil)
)

// Overlay returns an empty in-memory overlay over base, which it reads
// through ReadOnly(base) and never modifies.
func Overlay(base FS) *OverlayFS {
	return &OverlayFS{orig: base, base: ReadOnly(base), nodes: map[string]*ovNode{}, hidden: map[string]struct{}{}}
}

func (o *OverlayFS) String() string { return fmt.Sprintf("in-memory overlay over %v", o.orig) }

// Written lists, sorted, the paths of the files that exist in memory:
// created through the overlay or copied up from the base, and not removed
// (renamed ones under their new name). Directories made by Mkdir are not
// listed.
func (o *OverlayFS) Written() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []string
	for p, n := range o.nodes {
		if !n.dir {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// Hidden lists, sorted, the whited-out base names: removed, renamed away or
// replaced through the overlay (a name rewritten in memory, such as an
// .init-info renamed over, is in both Hidden and Written). A hidden
// directory stands for everything under it, which is not listed.
func (o *OverlayFS) Hidden() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]string, 0, len(o.hidden))
	for p := range o.hidden {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// isHidden reports whether the base name c (cleaned), or a directory
// above it, is whited out. Called with o.mu held.
func (o *OverlayFS) isHidden(c string) bool {
	if len(o.hidden) == 0 {
		return false
	}
	for p := c; ; p = filepath.Dir(p) {
		if _, ok := o.hidden[p]; ok {
			return true
		}
		if filepath.Dir(p) == p {
			return false
		}
	}
}

// whiteout hides the base name c; whiteouts under it become redundant and
// are dropped. Whiteouts are never lifted: a name made again over one is
// a memory node. Called with o.mu held.
func (o *OverlayFS) whiteout(c string) {
	for p := range o.hidden {
		if under(p, c) {
			delete(o.hidden, p)
		}
	}
	o.hidden[c] = struct{}{}
}

func (o *OverlayFS) limit() int64 {
	if o.Limit <= 0 {
		return DefaultOverlayLimit
	}
	return o.Limit
}

// where a name was found.
type where int

const (
	absent where = iota
	inMemory
	inBase
)

// find looks name (cleaned) up in memory, then, unless it is hidden, in
// the base. A base name that Stat cannot see (a dangling symlink) is found
// through its parent's listing, info nil: it exists. Called with o.mu held.
func (o *OverlayFS) find(name string) (w where, n *ovNode, info fs.FileInfo, err error) {
	if n := o.nodes[name]; n != nil {
		return inMemory, n, nil, nil
	}
	if o.isHidden(name) {
		return absent, nil, nil, nil
	}
	info, err = o.base.Stat(name)
	if err == nil {
		return inBase, nil, info, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return absent, nil, nil, err
	}
	parent := filepath.Dir(name)
	if parent == name {
		return absent, nil, nil, nil
	}
	ents, err := o.base.ReadDir(parent)
	if err != nil {
		// A missing or unlistable parent holds no such name.
		return absent, nil, nil, nil
	}
	base := filepath.Base(name)
	i := sort.Search(len(ents), func(i int) bool { return ents[i].Name() >= base })
	if i < len(ents) && ents[i].Name() == base {
		return inBase, nil, nil, nil
	}
	return absent, nil, nil, nil
}

// findExisting is find for an operation op on a name that must exist:
// absent is ENOENT naming it. Called with o.mu held.
func (o *OverlayFS) findExisting(op, name, clean string) (w where, n *ovNode, info fs.FileInfo, err error) {
	w, n, info, err = o.find(clean)
	if err == nil && w == absent {
		err = &fs.PathError{Op: op, Path: name, Err: syscall.ENOENT}
	}
	return w, n, info, err
}

func isDir(w where, n *ovNode, info fs.FileInfo) bool {
	switch w {
	case inMemory:
		return n.dir
	case inBase:
		return info != nil && info.IsDir()
	}
	return false
}

// exists is the error of Create or Mkdir of a name that exists: in the
// base it also matches ErrReadOnly, as a reminder that a base name is
// replaced only by Remove or Rename.
func exists(op, name string, w where) error {
	if w == inBase {
		return &fs.PathError{Op: op, Path: name, Err: fmt.Errorf("%w in the read-only base (%w)", syscall.EEXIST, ErrReadOnly)}
	}
	return &fs.PathError{Op: op, Path: name, Err: syscall.EEXIST}
}

// parentIsDir checks that the parent of clean, a name about to be made, is
// a directory in either layer. Called with o.mu held.
func (o *OverlayFS) parentIsDir(op, name, clean string) error {
	w, n, info, err := o.find(filepath.Dir(clean))
	if err != nil {
		return err
	}
	if w == absent {
		return &fs.PathError{Op: op, Path: name, Err: syscall.ENOENT}
	}
	if !isDir(w, n, info) {
		return &fs.PathError{Op: op, Path: name, Err: syscall.ENOTDIR}
	}
	return nil
}

// under reports whether p is strictly inside dir (never a root).
func under(p, dir string) bool { return strings.HasPrefix(p, dir+string(filepath.Separator)) }

// unlink takes n off its name; its data is released now, or when its last
// handle closes. Called with o.mu held.
func (o *OverlayFS) unlink(name string, n *ovNode) {
	delete(o.nodes, name)
	n.linked = false
	o.release(n)
}

func (o *OverlayFS) release(n *ovNode) {
	if !n.linked && n.open == 0 {
		o.held -= int64(len(n.data))
		n.data = nil
	}
}

// resize sets the size of a file node, zero-filling an extension, within
// the limit. Called with o.mu held.
func (o *OverlayFS) resize(op, name string, n *ovNode, size int64) error {
	if size < 0 {
		return &fs.PathError{Op: op, Path: name, Err: syscall.EINVAL}
	}
	old := int64(len(n.data))
	if err := o.charge(op, name, size-old); err != nil {
		return err
	}
	if size <= old {
		n.data = n.data[:size]
	} else {
		n.data = append(n.data, make([]byte, size-old)...)
	}
	n.modTime = time.Now()
	return nil
}

// charge accounts for delta more bytes held, refusing to pass the limit.
func (o *OverlayFS) charge(op, name string, delta int64) error {
	if limit := o.limit(); delta > 0 && o.held+delta > limit {
		return &fs.PathError{Op: op, Path: name, Err: fmt.Errorf("%w: %d bytes held in memory, %d more would pass the limit of %d", ErrOverlayFull, o.held, delta, limit)}
	}
	o.held += delta
	return nil
}

// isRoot reports whether c (cleaned) is "/" or ".", which no rename or
// remove may take.
func isRoot(c string) bool { return filepath.Dir(c) == c }

// hasEntries reports whether the directory c (cleaned; name as given),
// found in layer w, shows anything: a node in memory, or a base entry not
// whited out. A directory in memory has nothing of the base under it: it
// was made where the base had nothing, or where the base is hidden.
// Called with o.mu held.
func (o *OverlayFS) hasEntries(c, name string, w where) (bool, error) {
	if o.hasChildren(c) {
		return true, nil
	}
	if w != inBase {
		return false, nil
	}
	ents, err := o.base.ReadDir(name)
	if err != nil {
		return false, err
	}
	for _, e := range ents {
		if _, ok := o.hidden[filepath.Join(c, e.Name())]; !ok {
			return true, nil
		}
	}
	return false, nil
}

// copyable reports whether a base name found with info can be copied up:
// a regular file, or a symlink to one.
func copyable(info fs.FileInfo) bool { return info != nil && info.Mode().IsRegular() }

// copyUp reads the base file name into a new memory node, not yet linked
// to a name, holding its first upTo bytes (all of them if upTo < 0), charged
// against the limit: a file that does not fit fails with ErrOverlayFull
// naming it, before it is read. The caller links the node and whites the
// base name out. Called with o.mu held: other operations of the overlay
// wait for the read, which the limit bounds.
func (o *OverlayFS) copyUp(op, name string, upTo int64) (*ovNode, error) {
	f, err := o.base.OpenReadOnly(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, refuse(op, name)
	}
	size := st.Size()
	if upTo >= 0 && size > upTo {
		size = upTo
	}
	// Refuse a file that cannot fit before reading any of it.
	if err := o.charge(op, name, size); err != nil {
		return nil, err
	}
	o.held -= size
	// Never more than fits, plus one byte to tell a file that grew.
	n := o.limit() - o.held + 1
	if upTo >= 0 && upTo < n {
		n = upTo
	}
	data, err := io.ReadAll(io.LimitReader(f, n))
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	if err := o.charge(op, name, int64(len(data))); err != nil {
		return nil, err
	}
	return &ovNode{perm: st.Mode().Perm(), data: data, modTime: st.ModTime(), linked: true}, nil
}

// OpenReadOnly opens a file of the overlay, or else of the base unless it
// is hidden. Directories are refused with ErrNotRegular.
func (o *OverlayFS) OpenReadOnly(name string) (File, error) {
	c := filepath.Clean(name)
	o.mu.Lock()
	n := o.nodes[c]
	if n != nil {
		defer o.mu.Unlock()
		if n.dir {
			return nil, &fs.PathError{Op: "open", Path: name, Err: NotRegular(fs.ModeDir)}
		}
		n.open++
		return &overlayFile{o: o, n: n, name: name}, nil
	}
	hidden := o.isHidden(c)
	o.mu.Unlock()
	if hidden {
		return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.ENOENT}
	}
	return o.base.OpenReadOnly(name)
}

// Create makes a new empty file in memory, open for appending. It fails
// with fs.ErrExist if the name is visible in either layer (in the base,
// the error also matches ErrReadOnly), and if its parent is not a
// directory in either layer. A whited-out base name is absent: Create
// makes it anew.
func (o *OverlayFS) Create(name string) (File, error) {
	c := filepath.Clean(name)
	o.mu.Lock()
	defer o.mu.Unlock()
	w, _, _, err := o.find(c)
	if err != nil {
		return nil, err
	}
	if w != absent {
		return nil, exists("open", name, w)
	}
	if err := o.parentIsDir("open", name, c); err != nil {
		return nil, err
	}
	n := &ovNode{perm: 0o644, modTime: time.Now(), linked: true, open: 1}
	o.nodes[c] = n
	return &overlayFile{o: o, n: n, name: name, write: true}, nil
}

// Rename renames a file or directory as rename(2) does, replacing a file,
// or a directory with nothing visible in it, at newname; a base name
// replaced is whited out. A base file renamed is copied up (counted
// against Limit) to newname, and its old name whited out. Renaming a base
// directory, or a base name that cannot be read as a file, fails with
// ErrReadOnly.
func (o *OverlayFS) Rename(oldname, newname string) error {
	return o.rename(oldname, newname, false)
}

// RenameNoReplace is Rename failing with fs.ErrExist if newname is
// visible in either layer.
func (o *OverlayFS) RenameNoReplace(oldname, newname string) error {
	return o.rename(oldname, newname, true)
}

func (o *OverlayFS) rename(oldname, newname string, noReplace bool) error {
	co, cn := filepath.Clean(oldname), filepath.Clean(newname)
	linkErr := func(err error) error {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	w, n, info, err := o.find(co)
	switch {
	case err != nil:
		return err
	case w == absent:
		return linkErr(syscall.ENOENT)
	case w == inBase && !copyable(info):
		// A directory would need its tree copied up, which no simulation
		// needs; a dangling symlink, a FIFO or a device cannot be.
		return refuse("rename", oldname)
	}
	if co == cn {
		if noReplace {
			return linkErr(syscall.EEXIST)
		}
		return nil
	}
	if isRoot(co) || isRoot(cn) {
		return linkErr(syscall.EBUSY)
	}
	srcDir := w == inMemory && n.dir
	if srcDir && under(cn, co) {
		return linkErr(syscall.EINVAL)
	}
	wt, tn, tinfo, err := o.find(cn)
	if err != nil {
		return err
	}
	if wt == absent {
		if err := o.parentIsDir("rename", newname, cn); err != nil {
			return err
		}
	} else {
		tgtDir := isDir(wt, tn, tinfo)
		switch {
		case noReplace:
			return linkErr(syscall.EEXIST)
		case srcDir && !tgtDir:
			return linkErr(syscall.ENOTDIR)
		case !srcDir && tgtDir:
			return linkErr(syscall.EISDIR)
		}
		if tgtDir {
			full, err := o.hasEntries(cn, newname, wt)
			if err != nil {
				return err
			}
			if full {
				return linkErr(syscall.ENOTEMPTY)
			}
		}
	}
	// Nothing has changed yet: the copy-up may still fail.
	if w == inBase {
		if n, err = o.copyUp("rename", oldname, -1); err != nil {
			return err
		}
	}
	switch wt {
	case inMemory:
		o.unlink(cn, tn)
	case inBase:
		o.whiteout(cn)
	}
	if w == inBase {
		o.whiteout(co)
		o.nodes[cn] = n
		return nil
	}
	if n.dir {
		var moved []string
		for p := range o.nodes {
			if under(p, co) {
				moved = append(moved, p)
			}
		}
		for _, p := range moved {
			o.nodes[cn+p[len(co):]] = o.nodes[p]
			delete(o.nodes, p)
		}
	}
	delete(o.nodes, co)
	o.nodes[cn] = n
	return nil
}

// hasChildren reports whether the overlay directory dir holds anything.
// Called with o.mu held.
func (o *OverlayFS) hasChildren(dir string) bool {
	for p := range o.nodes {
		if under(p, dir) {
			return true
		}
	}
	return false
}

// Remove removes a file, or a directory with nothing visible in it
// (ENOTEMPTY otherwise), as os.Remove does. A memory file still open stays
// readable and writable through its handles until closed. A base name is
// whited out; handles open on it keep reading the base.
func (o *OverlayFS) Remove(name string) error {
	c := filepath.Clean(name)
	o.mu.Lock()
	defer o.mu.Unlock()
	w, n, info, err := o.findExisting("remove", name, c)
	switch {
	case err != nil:
		return err
	case isRoot(c):
		return &fs.PathError{Op: "remove", Path: name, Err: syscall.EBUSY}
	}
	if isDir(w, n, info) {
		full, err := o.hasEntries(c, name, w)
		if err != nil {
			return err
		}
		if full {
			return &fs.PathError{Op: "remove", Path: name, Err: syscall.ENOTEMPTY}
		}
	}
	if w == inBase {
		o.whiteout(c)
		return nil
	}
	o.unlink(c, n)
	return nil
}

// Mkdir makes a directory in memory; it fails with fs.ErrExist if the
// name exists in either layer.
func (o *OverlayFS) Mkdir(dir string, perm fs.FileMode) error {
	c := filepath.Clean(dir)
	o.mu.Lock()
	defer o.mu.Unlock()
	w, _, _, err := o.find(c)
	if err != nil {
		return err
	}
	if w != absent {
		return exists("mkdir", dir, w)
	}
	if err := o.parentIsDir("mkdir", dir, c); err != nil {
		return err
	}
	o.mkdir(c, perm)
	return nil
}

func (o *OverlayFS) mkdir(c string, perm fs.FileMode) {
	o.nodes[c] = &ovNode{dir: true, perm: perm & fs.ModePerm, modTime: time.Now(), linked: true}
}

// MkdirAll makes in memory the directories of the path that exist in
// neither layer.
func (o *OverlayFS) MkdirAll(dir string, perm fs.FileMode) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	var missing []string
	for p := filepath.Clean(dir); ; p = filepath.Dir(p) {
		w, n, info, err := o.find(p)
		if err != nil {
			return err
		}
		if w != absent {
			if !isDir(w, n, info) {
				return &fs.PathError{Op: "mkdir", Path: p, Err: syscall.ENOTDIR}
			}
			break
		}
		if filepath.Dir(p) == p {
			return &fs.PathError{Op: "mkdir", Path: p, Err: syscall.ENOENT}
		}
		missing = append(missing, p)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		o.mkdir(missing[i], perm)
	}
	return nil
}

// checkDir fails unless dir is a directory in either layer.
func (o *OverlayFS) checkDir(op, dir string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	w, n, info, err := o.findExisting(op, dir, filepath.Clean(dir))
	switch {
	case err != nil:
		return err
	case !isDir(w, n, info):
		return &fs.PathError{Op: op, Path: dir, Err: syscall.ENOTDIR}
	}
	return nil
}

// OpenDir opens a handle on a directory of either layer whose Sync and
// SyncFS do nothing: nothing in the overlay is durable.
func (o *OverlayFS) OpenDir(dir string) (Dir, error) {
	if err := o.checkDir("open", dir); err != nil {
		return nil, err
	}
	return &overlayDir{name: dir}, nil
}

// SyncDir checks that dir is a directory of either layer, and does nothing.
func (o *OverlayFS) SyncDir(dir string) error { return o.checkDir("syncdir", dir) }

// ReadDir lists a directory of either layer, the overlay's entries merged
// with the base's that are not hidden, sorted by name.
func (o *OverlayFS) ReadDir(dir string) ([]fs.DirEntry, error) {
	c := filepath.Clean(dir)
	o.mu.Lock()
	defer o.mu.Unlock()
	var ents []fs.DirEntry
	if n := o.nodes[c]; n != nil {
		if !n.dir {
			return nil, &fs.PathError{Op: "readdir", Path: dir, Err: syscall.ENOTDIR}
		}
	} else if o.isHidden(c) {
		return nil, &fs.PathError{Op: "readdir", Path: dir, Err: syscall.ENOENT}
	} else {
		all, err := o.base.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		ents = all[:0:0]
		for _, e := range all {
			if _, ok := o.hidden[filepath.Join(c, e.Name())]; !ok {
				ents = append(ents, e)
			}
		}
	}
	mine := map[string]fs.DirEntry{}
	for p, n := range o.nodes {
		if filepath.Dir(p) == c && p != c {
			mine[filepath.Base(p)] = fs.FileInfoToDirEntry(n.info(p))
		}
	}
	if len(mine) == 0 {
		return ents, nil
	}
	out := make([]fs.DirEntry, 0, len(ents)+len(mine))
	for _, e := range ents {
		if mine[e.Name()] == nil {
			out = append(out, e)
		}
	}
	for _, e := range mine {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}

// Stat describes a name of the overlay, or else of the base unless it is
// hidden.
func (o *OverlayFS) Stat(name string) (fs.FileInfo, error) {
	c := filepath.Clean(name)
	o.mu.Lock()
	n := o.nodes[c]
	if n != nil {
		defer o.mu.Unlock()
		return n.info(c), nil
	}
	hidden := o.isHidden(c)
	o.mu.Unlock()
	if hidden {
		return nil, &fs.PathError{Op: "stat", Path: name, Err: syscall.ENOENT}
	}
	return o.base.Stat(name)
}

// Truncate sets the size of a file, zero-filling an extension. A base file
// is copied up first (no more than size bytes of it, counted against
// Limit) and its base name whited out; a base name that cannot be read as
// a file fails with ErrReadOnly.
func (o *OverlayFS) Truncate(name string, size int64) error {
	c := filepath.Clean(name)
	o.mu.Lock()
	defer o.mu.Unlock()
	w, n, info, err := o.findExisting("truncate", name, c)
	switch {
	case err != nil:
		return err
	case isDir(w, n, info):
		return &fs.PathError{Op: "truncate", Path: name, Err: syscall.EISDIR}
	case size < 0:
		return &fs.PathError{Op: "truncate", Path: name, Err: syscall.EINVAL}
	case w == inBase && !copyable(info):
		return refuse("truncate", name)
	}
	if w == inMemory {
		return o.resize("truncate", name, n, size)
	}
	if n, err = o.copyUp("truncate", name, size); err != nil {
		return err
	}
	if err := o.resize("truncate", name, n, size); err != nil {
		o.held -= int64(len(n.data))
		return err
	}
	o.whiteout(c)
	o.nodes[c] = n
	return nil
}

// info describes n, named p. Called with o.mu held.
func (n *ovNode) info(p string) fs.FileInfo {
	mode := n.perm
	if n.dir {
		mode |= fs.ModeDir
	}
	return overlayInfo{name: filepath.Base(p), size: int64(len(n.data)), mode: mode, modTime: n.modTime}
}

type overlayInfo struct {
	name    string
	size    int64
	mode    fs.FileMode
	modTime time.Time
}

func (i overlayInfo) Name() string       { return i.name }
func (i overlayInfo) Size() int64        { return i.size }
func (i overlayInfo) Mode() fs.FileMode  { return i.mode }
func (i overlayInfo) ModTime() time.Time { return i.modTime }
func (i overlayInfo) IsDir() bool        { return i.mode.IsDir() }
func (i overlayInfo) Sys() any           { return nil }

// overlayFile is a handle on an overlay file: an appender from Create, or
// a reader from OpenReadOnly. Its state is guarded by o.mu.
type overlayFile struct {
	o      *OverlayFS
	n      *ovNode
	name   string
	write  bool
	pos    int64 // of Read
	closed bool
}

// check fails an operation on a closed handle, or one its mode forbids.
// Called with o.mu held.
func (f *overlayFile) check(op string, write bool) error {
	if f.closed {
		return &fs.PathError{Op: op, Path: f.name, Err: fs.ErrClosed}
	}
	if write != f.write {
		return &fs.PathError{Op: op, Path: f.name, Err: syscall.EBADF}
	}
	return nil
}

func (f *overlayFile) Read(p []byte) (int, error) {
	f.o.mu.Lock()
	defer f.o.mu.Unlock()
	if err := f.check("read", false); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if f.pos >= int64(len(f.n.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.n.data[f.pos:])
	f.pos += int64(n)
	return n, nil
}

func (f *overlayFile) ReadAt(p []byte, off int64) (int, error) {
	f.o.mu.Lock()
	defer f.o.mu.Unlock()
	if err := f.check("read", false); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, &fs.PathError{Op: "readat", Path: f.name, Err: errors.New("negative offset")}
	}
	if off >= int64(len(f.n.data)) {
		return 0, io.EOF
	}
	n := copy(p, f.n.data[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Write appends p whole, or nothing if it would pass the overlay's limit.
func (f *overlayFile) Write(p []byte) (int, error) {
	f.o.mu.Lock()
	defer f.o.mu.Unlock()
	if err := f.check("write", true); err != nil {
		return 0, err
	}
	if err := f.o.charge("write", f.name, int64(len(p))); err != nil {
		return 0, err
	}
	f.n.data = append(f.n.data, p...)
	f.n.modTime = time.Now()
	return len(p), nil
}

// Sync does nothing: nothing in the overlay is durable.
func (f *overlayFile) Sync() error {
	f.o.mu.Lock()
	defer f.o.mu.Unlock()
	if f.closed {
		return &fs.PathError{Op: "sync", Path: f.name, Err: fs.ErrClosed}
	}
	return nil
}

func (f *overlayFile) Truncate(size int64) error {
	f.o.mu.Lock()
	defer f.o.mu.Unlock()
	if err := f.check("truncate", true); err != nil {
		return err
	}
	return f.o.resize("truncate", f.name, f.n, size)
}

func (f *overlayFile) Stat() (fs.FileInfo, error) {
	f.o.mu.Lock()
	defer f.o.mu.Unlock()
	if f.closed {
		return nil, &fs.PathError{Op: "stat", Path: f.name, Err: fs.ErrClosed}
	}
	return f.n.info(f.name), nil
}

func (f *overlayFile) Close() error {
	f.o.mu.Lock()
	defer f.o.mu.Unlock()
	if f.closed {
		return &fs.PathError{Op: "close", Path: f.name, Err: fs.ErrClosed}
	}
	f.closed = true
	f.n.open--
	f.o.release(f.n)
	return nil
}

func (f *overlayFile) Name() string { return f.name }

// overlayDir is a directory handle whose syncs do nothing.
type overlayDir struct {
	name   string
	closed atomic.Bool
}

func (d *overlayDir) check(op string) error {
	if d.closed.Load() {
		return &fs.PathError{Op: op, Path: d.name, Err: fs.ErrClosed}
	}
	return nil
}

func (d *overlayDir) Sync() error   { return d.check("fsync") }
func (d *overlayDir) SyncFS() error { return d.check("syncfs") }

func (d *overlayDir) Close() error {
	if d.closed.Swap(true) {
		return &fs.PathError{Op: "close", Path: d.name, Err: fs.ErrClosed}
	}
	return nil
}
