package vfs

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Undo says which of the changes to names that no directory sync made
// durable (renames, removes, directory creations) a crash takes back. A
// file created whose name no sync made durable is removed by every crash
// but an UndoSome one.
type Undo int

const (
	// UndoNone keeps them all, as if each were durable at once: the model
	// of a Faulty whose CrashMode was never set.
	UndoNone Undo = iota
	// UndoAll takes every one back, the newest first: the tree is what the
	// last sync of each directory saw.
	UndoAll
	// UndoSome takes each back or keeps it at random (CrashMode.Seed),
	// the newest first; a change that a later change kept stands on (one
	// naming the same path, or a dir above or below it) is kept too, so
	// the outcome is one a filesystem could leave. Unlike the other modes
	// it may also keep a file created whose name no sync made durable
	// (ext4 and xfs commit their journal every few seconds by
	// themselves), holding what was synced of it: the leftover
	// temporary file of an interrupted write.
	UndoSome
)

// CrashMode is what Faulty.Crash does with the changes to names that no
// directory sync made durable. On ext4 or xfs a rename or an unlink that
// no fsync of its directory (or syncfs) followed can be undone by a power
// cut, and so can a mkdir whose parent was not synced; the model is that
// of Pebble's strict in-memory filesystem and of the ALICE and CrashMonkey
// studies, on a real directory tree:
//
//   - a create, a mkdir or a remove is durable once its directory is synced;
//   - a rename once both its directories are (each sync may come at a
//     different time); until then it is taken back or kept whole;
//   - a SyncFS makes every change before it durable;
//   - a rename moves the changes made inside the renamed path with it: a
//     sync of the directory under its new name covers them.
//
// A change taken back restores what was there: a removed file comes back
// with its inode and content, a target a rename replaced comes back, a
// directory created goes with everything in it (a directory whose own name
// is not durable takes what was made inside it along, synced or not).
type CrashMode struct {
	Undo Undo
	// Seed drives UndoSome.
	Seed uint64
	// Stash is a directory on the filesystem of every path the Faulty
	// removes or renames over, outside the trees a test compares (it is
	// created if missing): a removed file, or the target a rename
	// replaced, is kept there (renamed, so its inode stays) until the
	// change is durable, and put back if a crash takes the change back.
	// Required unless Undo is UndoNone.
	Stash string
}

func (m CrashMode) String() string {
	switch m.Undo {
	case UndoNone:
		return "keep"
	case UndoAll:
		return "undo"
	}
	return fmt.Sprintf("random(%d)", m.Seed)
}

// SetCrashMode says what a crash does with changes to names not yet
// durable. Call it before the first operation through f.
func (f *Faulty) SetCrashMode(m CrashMode) {
	if m.Undo != UndoNone && m.Stash == "" {
		panic("vfs: a CrashMode that undoes changes needs a Stash dir")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mode = m
}

type changeKind int

const (
	chCreate changeKind = iota
	chMkdir
	chRename
	chRemove
)

func (k changeKind) String() string {
	return [...]string{"create", "mkdir", "rename", "remove"}[k]
}

// change is a change to a name that is not durable yet. Its paths are
// where the things it names are now: a later rename of a dir above them
// rewrites them (rewrite).
type change struct {
	kind changeKind
	// path is the name created, removed, or a rename's new name.
	path string
	from string // a rename's old name
	dir  bool   // a remove or rename of a directory
	perm fs.FileMode
	// stash holds, until the change is durable, the file removed or the
	// target a rename replaced ("" when none).
	stash string
	// waits are the dirs whose sync makes it durable.
	waits []string
	file  *fileState // a create's file
}

func (c *change) String() string {
	s := fmt.Sprintf("%s %s", c.kind, c.path)
	if c.kind == chRename {
		s = fmt.Sprintf("rename %s to %s", c.from, c.path)
	}
	return fmt.Sprintf("%s: no sync of %s since", s, strings.Join(c.waits, " and "))
}

// paths are the names c touches.
func (c *change) paths() []string {
	if c.kind == chRename {
		return []string{c.from, c.path}
	}
	return []string{c.path}
}

// atOrUnder says whether p is dir or inside it.
func atOrUnder(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+string(filepath.Separator))
}

// related says whether a and b are one path or one is inside the other.
func related(a, b string) bool { return atOrUnder(a, b) || atOrUnder(b, a) }

func moved(p, from, to string) string {
	if atOrUnder(p, from) {
		return to + p[len(from):]
	}
	return p
}

// rewrite moves every file state and pending change at or under from to
// to: what a rename of from did to them. Called with f.mu held.
func (f *Faulty) rewrite(from, to string) {
	for p, st := range f.files {
		if atOrUnder(p, from) {
			delete(f.files, p)
			f.files[moved(p, from, to)] = st
		}
	}
	for _, c := range f.pending {
		c.path = moved(c.path, from, to)
		if c.from != "" {
			c.from = moved(c.from, from, to)
		}
		for i, w := range c.waits {
			c.waits[i] = moved(w, from, to)
		}
	}
}

// forget drops the file states and pending changes at or under p: what
// replaced or removed them for good. It returns the stash entries of the
// changes dropped, to delete. Called with f.mu held.
func (f *Faulty) forget(p string) []string {
	for q := range f.files {
		if atOrUnder(q, p) {
			delete(f.files, q)
		}
	}
	var drop []string
	keep := f.pending[:0]
	for _, c := range f.pending {
		if !atOrUnder(c.path, p) {
			keep = append(keep, c)
		} else if c.stash != "" {
			drop = append(drop, c.stash)
		}
	}
	f.pending = keep
	return drop
}

// record adds a change. Called with f.mu held.
func (f *Faulty) record(c *change) {
	dirs := []string{filepath.Dir(c.path)}
	if c.kind == chRename && filepath.Dir(c.from) != dirs[0] {
		dirs = []string{filepath.Dir(c.from), dirs[0]}
	}
	c.waits = dirs
	f.pending = append(f.pending, c)
}

// stashName is a new name in the stash for what is at p.
func (f *Faulty) stashName(p string) (string, error) {
	f.mu.Lock()
	f.stashSeq++
	n, dir := f.stashSeq, f.mode.Stash
	f.mu.Unlock()
	if err := f.base.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("vfs: the crash model's stash: %w", err)
	}
	return filepath.Join(dir, fmt.Sprintf("%06d.%s", n, filepath.Base(p))), nil
}

func (f *Faulty) stashing() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mode.Undo != UndoNone
}

// pendingIn snapshots the changes waiting for a sync of dir, taken before
// the sync: only changes made before it started are covered by it.
func (f *Faulty) pendingIn(dir string) []*change {
	dir = filepath.Clean(dir)
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*change
	for _, c := range f.pending {
		for _, w := range c.waits {
			if w == dir {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// syncedDir is what a successful sync of dir does to the changes in
// before. Called with f.mu held; it returns the stash entries to delete.
func (f *Faulty) syncedDir(dir string, before []*change) []string {
	dir = filepath.Clean(dir)
	var drop []string
	for _, c := range before {
		c.waits = removeAll(c.waits, func(w string) bool { return w == dir })
		if len(c.waits) == 0 {
			drop = append(drop, f.durable(c)...)
		}
	}
	return drop
}

func removeAll(s []string, bad func(string) bool) []string {
	out := s[:0]
	for _, x := range s {
		if !bad(x) {
			out = append(out, x)
		}
	}
	return out
}

// durable makes c durable: it leaves the pending list, a create's name is
// durable, and what c's stash holds can go (returned). A directory whose
// removal is durable takes every wait for a sync of itself or of a dir in
// it along: nothing inside it can come back. Called with f.mu held.
func (f *Faulty) durable(c *change) []string {
	i := -1
	for k, p := range f.pending {
		if p == c {
			i = k
			break
		}
	}
	if i < 0 {
		return nil // already durable
	}
	f.pending = append(f.pending[:i], f.pending[i+1:]...)
	var drop []string
	if c.kind == chCreate && c.file != nil {
		c.file.named = true
	}
	if c.stash != "" {
		// What the stash holds goes for good, and with it what followed
		// the file there.
		drop = append(drop, c.stash)
		drop = append(drop, f.forget(c.stash)...)
	}
	if c.kind == chRemove && c.dir {
		for _, o := range append([]*change{}, f.pending...) {
			o.waits = removeAll(o.waits, func(w string) bool { return atOrUnder(w, c.path) })
			if len(o.waits) == 0 {
				drop = append(drop, f.durable(o)...)
			}
		}
	}
	return drop
}

// dropStash deletes stash entries whose changes are durable (or kept by a
// crash). They are the model's own files: errors are ignored but a
// missing entry.
func (f *Faulty) dropStash(paths []string) error {
	var errs []error
	for _, p := range paths {
		if err := removeTree(f.base, p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// decide says, newest first, which pending changes the crash takes back.
// Called with f.mu held.
func (f *Faulty) decide(pending []*change) []bool {
	undo := make([]bool, len(pending))
	var rng *rand.Rand
	if f.mode.Undo == UndoSome {
		rng = rand.New(rand.NewPCG(f.mode.Seed, uint64(len(pending))))
	}
	var kept []*change
	for i := len(pending) - 1; i >= 0; i-- {
		c := pending[i]
		switch {
		case c.kind == chCreate && f.mode.Undo != UndoSome:
			// A name never made durable is gone (the model before
			// CrashMode): its file goes wherever it is now.
			undo[i] = true
			continue
		case f.mode.Undo == UndoAll:
			undo[i] = true
		case f.mode.Undo == UndoSome:
			undo[i] = rng.IntN(2) == 0
		}
		if undo[i] && dependsOn(kept, c) {
			undo[i] = false
		}
		if !undo[i] {
			kept = append(kept, c)
		}
	}
	return undo
}

// dependsOn says whether one of the later changes kept touches a path of c
// (the same, or a dir above or below it): then c cannot be taken back
// alone.
func dependsOn(kept []*change, c *change) bool {
	for _, k := range kept {
		for _, a := range k.paths() {
			for _, b := range c.paths() {
				if related(a, b) {
					return true
				}
			}
		}
	}
	return false
}

// takeBack undoes c on the real tree. What a later durable change made of
// its paths wins: a rename whose new name is gone, or whose old name is
// taken again, is left as it is. Called without f.mu held (the crash
// holds every operation off).
func (f *Faulty) takeBack(c *change) error {
	exists := func(p string) bool { _, err := f.base.Stat(p); return err == nil }
	f.mu.Lock()
	f.pending = slices.DeleteFunc(f.pending, func(p *change) bool { return p == c })
	f.mu.Unlock()
	switch c.kind {
	case chCreate:
		f.mu.Lock()
		ours := f.files[c.path] == c.file
		if ours {
			delete(f.files, c.path)
		}
		f.mu.Unlock()
		if !ours {
			return nil
		}
		if err := f.base.Remove(c.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	case chMkdir:
		if err := removeTree(f.base, c.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		f.mu.Lock()
		drop := f.forget(c.path)
		f.mu.Unlock()
		return f.dropStash(drop)
	case chRename:
		if !exists(c.path) || exists(c.from) {
			return nil
		}
		if err := f.base.Rename(c.path, c.from); err != nil {
			return err
		}
		f.mu.Lock()
		f.rewrite(c.path, c.from)
		f.mu.Unlock()
		return f.unstash(c)
	case chRemove:
		if exists(c.path) {
			return nil
		}
		if c.dir {
			return f.base.Mkdir(c.path, c.perm)
		}
		return f.unstash(c)
	}
	return nil
}

// unstash puts what c's stash holds back at c.path.
func (f *Faulty) unstash(c *change) error {
	if c.stash == "" || !f.existsBase(c.stash) {
		return nil
	}
	if err := f.base.Rename(c.stash, c.path); err != nil {
		return err
	}
	f.mu.Lock()
	f.rewrite(c.stash, c.path)
	f.mu.Unlock()
	c.stash = ""
	return nil
}

// isPending says whether c is still pending (a dir taken back before it
// may have taken it along).
func (f *Faulty) isPending(c *change) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Contains(f.pending, c)
}

func (f *Faulty) existsBase(p string) bool {
	_, err := f.base.Stat(p)
	return err == nil
}

// Unsynced describes what a crash now could still take back or cut: each
// change to a name that no sync made durable, and each file created
// through f with bytes written since its last sync, in the order they
// were made. After a run that returned success it should be empty:
// anything in it is a step whose durability nothing made sure of.
func (f *Faulty) Unsynced() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.pending {
		out = append(out, c.String())
	}
	var unsynced []string
	for p, st := range f.files {
		if st.named && st.size > st.synced {
			unsynced = append(unsynced, fmt.Sprintf("%s: %d of %d bytes synced", p, st.synced, st.size))
		}
	}
	sort.Strings(unsynced)
	return append(out, unsynced...)
}
