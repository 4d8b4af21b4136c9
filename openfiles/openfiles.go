// Package openfiles finds the processes that have files under a data root
// open, so that a command changing the root (gc --apply, migrate) refuses
// to run beside a live replica server: it reads /proc/<pid>/fd/* (open
// files), cwd, root, exe and maps (mapped files) of every process.
//
// It reads the kernel's process table, not a data root, so it uses the OS
// directly rather than vfs; the proc root is a parameter so tests can give
// a fake tree. Processes whose fds cannot be read (another user's, without
// privilege) are listed as Uninspected: the answer is then incomplete, and
// the caller decides whether to refuse (run it as root, or as the server's
// user, for a complete answer).
package openfiles

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Proc is the real proc root.
const Proc = "/proc"

// Use is one process having one path under a root.
type Use struct {
	PID     int    `json:"pid"`
	Command string `json:"command"` // /proc/PID/comm
	Path    string `json:"path"`
	// Via says how: "fd 7", "cwd", "root", "exe" or "mmap".
	Via string `json:"via"`
}

func (u Use) String() string {
	return fmt.Sprintf("pid %d (%s) has %s open (%s)", u.PID, u.Command, u.Path, u.Via)
}

// Uninspected is a process whose open files could not be read.
type Uninspected struct {
	PID     int    `json:"pid"`
	Command string `json:"command"`
	Err     string `json:"error"`
}

// Result is what Scan found.
type Result struct {
	Uses        []Use         `json:"uses"`
	Uninspected []Uninspected `json:"uninspected,omitempty"`
}

// ErrInUse is what errors.Is finds in Result.Err when a process has files
// of the root open.
var ErrInUse = errors.New("files of the root are open")

// Err refuses when any process has a path under the roots: it names each
// process once, with the first of its paths, so the operator knows what to
// stop.
func (r Result) Err() error {
	if len(r.Uses) == 0 {
		return nil
	}
	var parts []string
	seen := map[int]int{}
	for _, u := range r.Uses {
		seen[u.PID]++
		if seen[u.PID] == 1 {
			parts = append(parts, u.String())
		}
	}
	for i, u := range dedupPIDs(r.Uses) {
		if n := seen[u]; n > 1 {
			parts[i] += fmt.Sprintf(" and %d more", n-1)
		}
	}
	return fmt.Errorf("%w: %s: stop the server (or whatever holds them) first", ErrInUse, strings.Join(parts, "; "))
}

func dedupPIDs(us []Use) []int {
	var out []int
	for _, u := range us {
		if !slices.Contains(out, u.PID) {
			out = append(out, u.PID)
		}
	}
	return out
}

// Scan lists every process under proc (Proc, or a fake tree) with a path
// under one of roots open, except the pids in ignore (the caller itself,
// which holds the root's lock file). Roots are compared both as given
// (made absolute) and with their symlinks resolved, as the kernel prints
// resolved paths. Uses are ordered by pid, then as found.
func Scan(proc string, roots []string, ignore ...int) (Result, error) {
	var prefixes []string
	for _, r := range roots {
		abs, err := filepath.Abs(r)
		if err != nil {
			return Result{}, err
		}
		prefixes = append(prefixes, abs)
		if real, err := filepath.EvalSymlinks(abs); err == nil && real != abs {
			prefixes = append(prefixes, real)
		}
	}
	under := func(p string) bool {
		p = strings.TrimSuffix(p, " (deleted)")
		for _, root := range prefixes {
			if p == root || strings.HasPrefix(p, root+"/") || root == "/" {
				return true
			}
		}
		return false
	}
	ents, err := os.ReadDir(proc)
	if err != nil {
		return Result{}, err
	}
	var pids []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid > 0 && !slices.Contains(ignore, pid) {
			pids = append(pids, pid)
		}
	}
	slices.Sort(pids)
	var res Result
	for _, pid := range pids {
		dir := filepath.Join(proc, strconv.Itoa(pid))
		comm := command(dir)
		add := func(p, via string) {
			if under(p) {
				res.Uses = append(res.Uses, Use{PID: pid, Command: comm, Path: strings.TrimSuffix(p, " (deleted)"), Via: via})
			}
		}
		fds, err := os.ReadDir(filepath.Join(dir, "fd"))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // exited meanwhile
			}
			res.Uninspected = append(res.Uninspected, Uninspected{PID: pid, Command: comm, Err: err.Error()})
			continue
		}
		for _, link := range []string{"cwd", "root", "exe"} {
			if p, err := os.Readlink(filepath.Join(dir, link)); err == nil {
				add(p, link)
			}
		}
		for _, fd := range fds {
			if p, err := os.Readlink(filepath.Join(dir, "fd", fd.Name())); err == nil {
				add(p, "fd "+fd.Name())
			}
		}
		for _, p := range mapped(dir) {
			add(p, "mmap")
		}
	}
	return res, nil
}

// command is the process's name, "?" when it cannot be read.
func command(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "comm"))
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}

// mapped lists the distinct file paths in /proc/PID/maps (the sixth field
// of each line, which may hold spaces).
func mapped(dir string) []string {
	f, err := os.Open(filepath.Join(dir, "maps"))
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		// address perms offset dev inode pathname
		rest := line
		for range 5 {
			_, rest, _ = strings.Cut(strings.TrimLeft(rest, " "), " ")
		}
		p := strings.TrimLeft(rest, " ")
		if strings.HasPrefix(p, "/") && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}
