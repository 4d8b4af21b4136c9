// Package rootlock is the lock that commands changing a data root (gc
// --apply, migrate) take first, so that two of them never act on one root
// at once: a file named Name in the root, locked with flock(2)
// LOCK_EX|LOCK_NB, holding the holder's pid, command and start time for the
// message a second taker gets.
//
// The kernel releases a flock when its holder exits, however it exits, so a
// lock file left behind by a killed waltool is stale (no flock held) and
// the next taker takes it over: the file's presence means nothing, only the
// flock does. Release removes the file while still holding the flock;
// Acquire re-checks, once it holds the flock, that the file it locked is
// still the one at the path (not one a releasing holder just removed), so
// two takers can never both hold the lock.
//
// The lock is an open file description with a kernel lock on it, which vfs
// does not model: this package uses the OS directly, only on its own file.
// It is advisory: the Pegasus server does not take it (the open-files check
// is what refuses a running server).
package rootlock

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Name is the lock file's name in the root.
const Name = ".waltool.lock"

// Holder is who holds (or last held) a lock, as written in the lock file.
type Holder struct {
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
}

func (h Holder) String() string {
	if h.PID == 0 {
		return "an unknown process (the lock file does not say)"
	}
	s := fmt.Sprintf("pid %d", h.PID)
	if h.Command != "" {
		s += " (" + h.Command + ")"
	}
	if !h.Since.IsZero() {
		s += " since " + h.Since.Format(time.RFC3339)
	}
	return s
}

// ErrHeld is what errors.Is finds in the error of Acquire when another
// process holds the lock.
var ErrHeld = errors.New("root is locked")

// HeldError is the error of Acquire when another process holds the lock.
type HeldError struct {
	Path   string
	Holder Holder
}

func (e *HeldError) Error() string {
	return fmt.Sprintf("%s is held by %s: another waltool is changing this root; wait for it to finish (the lock goes when that process exits)", e.Path, e.Holder)
}

func (e *HeldError) Is(target error) bool { return target == ErrHeld }

// Lock is a held root lock.
type Lock struct {
	f    *os.File
	path string
	// Stale is the holder a stale lock file named when it was taken over
	// (a waltool that exited without releasing), nil if there was none.
	Stale *Holder
}

// Path is the lock file's path.
func (l *Lock) Path() string { return l.path }

// Acquire takes the lock of root for command (what the holder is doing,
// e.g. "waltool gc --apply"), or fails at once with a *HeldError naming the
// holder. A stale lock file (no flock on it) is taken over.
func Acquire(root, command string) (*Lock, error) {
	path := filepath.Join(root, Name)
	for attempt := 0; ; attempt++ {
		l, retry, err := try(path, command)
		if err == nil || !retry || attempt >= 100 {
			return l, err
		}
	}
}

// try takes the lock once; retry is true when the file was replaced under
// us between the open and the flock.
func try(path, command string) (l *Lock, retry bool, err error) {
	fd, err := open(path)
	if err != nil {
		return nil, false, err
	}
	f := os.NewFile(uintptr(fd), path)
	defer func() {
		if l == nil {
			f.Close()
		}
	}()
	if err := flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		if errors.Is(err, unix.EWOULDBLOCK) {
			h, _ := readHolder(f)
			return nil, false, &HeldError{Path: path, Holder: h}
		}
		return nil, false, &os.PathError{Op: "flock", Path: path, Err: err}
	}
	var mine, there unix.Stat_t
	if err := unix.Fstat(fd, &mine); err != nil {
		return nil, false, &os.PathError{Op: "stat", Path: path, Err: err}
	}
	if err := unix.Lstat(path, &there); err != nil || mine.Dev != there.Dev || mine.Ino != there.Ino {
		// A releasing holder removed it after our open: lock the new one.
		return nil, true, nil
	}
	l = &Lock{f: f, path: path}
	if h, err := readHolder(f); err == nil && h.PID != 0 {
		l.Stale = &h
	}
	if err := writeHolder(f, Holder{PID: os.Getpid(), Command: command, Since: time.Now()}); err != nil {
		return nil, false, &os.PathError{Op: "write", Path: path, Err: err}
	}
	return l, false, nil
}

func open(path string) (int, error) {
	for {
		fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, &os.PathError{Op: "open", Path: path, Err: err}
		}
		return fd, nil
	}
}

func flock(fd, how int) error {
	for {
		err := unix.Flock(fd, how)
		if err != unix.EINTR {
			return err
		}
	}
}

// readHolder parses the lock file's key=value lines.
func readHolder(f *os.File) (Holder, error) {
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 4096))
	if err != nil {
		return Holder{}, err
	}
	var h Holder
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		switch k {
		case "pid":
			h.PID, _ = strconv.Atoi(v)
		case "command":
			h.Command = v
		case "since":
			h.Since, _ = time.Parse(time.RFC3339Nano, v)
		}
	}
	return h, nil
}

func writeHolder(f *os.File, h Holder) error {
	cmd := strings.NewReplacer("\n", " ", "\r", " ").Replace(h.Command)
	b := fmt.Appendf(nil, "pid=%d\ncommand=%s\nsince=%s\n", h.PID, cmd, h.Since.Format(time.RFC3339Nano))
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt(b, 0)
	return err
}

// Release removes the lock file and releases the lock. The file goes
// first, while the flock is still held, so that no taker can lock it and
// find it gone afterwards without noticing (Acquire re-checks the inode).
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := os.Remove(l.path)
	if errors.Is(err, os.ErrNotExist) {
		err = nil
	}
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
