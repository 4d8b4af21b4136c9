package benchmark

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// EtcdWAL runs the bench/ module's etcdwal binary (go.etcd.io/etcd's WAL,
// one per replica) on the same workload and reads its JSON result. The
// etcd code lives in its own Go module so that the main module does not
// depend on etcd.
type EtcdWAL struct {
	// Bin is the etcdwal binary; "" builds it from the bench/ module found
	// in the working directory or a parent (the mode is skipped if there
	// is none, or the build fails).
	Bin string
	// Log receives the binary's stderr and the reason for a skip.
	Log io.Writer
}

func (EtcdWAL) Name() string { return "etcd-wal" }

func (e EtcdWAL) Run(cfg WriteConfig) (WriteResult, error) {
	log := e.Log
	if log == nil {
		log = io.Discard
	}
	skip := func(why string) (WriteResult, error) {
		fmt.Fprintf(log, "waltool: etcd-wal skipped: %s\n", why)
		return WriteResult{Mode: e.Name(), Clients: cfg.Clients, Sync: cfg.Sync, Skipped: why}, nil
	}
	bin := e.Bin
	if bin == "" {
		src := findBenchModule()
		if src == "" {
			return skip("bench/ module not found (run from the waltool source tree, or pass --etcd-bin)")
		}
		tmp, err := os.MkdirTemp("", "waltool-etcdwal-")
		if err != nil {
			return WriteResult{}, err
		}
		defer os.RemoveAll(tmp)
		bin = filepath.Join(tmp, "etcdwal")
		build := exec.Command("go", "build", "-o", bin, "./cmd/etcdwal")
		build.Dir = src
		if out, err := build.CombinedOutput(); err != nil {
			return skip(fmt.Sprintf("building %s/cmd/etcdwal failed (is go.etcd.io/etcd reachable?): %v: %s", src, err, strings.TrimSpace(string(out))))
		}
	}
	args := []string{
		"--replicas", fmt.Sprint(cfg.Replicas), "--clients", fmt.Sprint(cfg.Clients),
		"--value-size", fmt.Sprint(cfg.ValueSize), "--duration", cfg.Duration.String(),
		"--dirs", strings.Join(cfg.Dirs, ","), "--sync", cfg.Sync,
	}
	if cfg.Keep {
		args = append(args, "--keep")
	}
	cmd := exec.Command(bin, args...)
	cmd.Stderr = log
	out, err := cmd.Output()
	if err != nil {
		return WriteResult{}, fmt.Errorf("%s: %w", bin, err)
	}
	var rep struct {
		Results []WriteResult `json:"results"`
	}
	if err := json.Unmarshal(out, &rep); err != nil || len(rep.Results) != 1 {
		return WriteResult{}, fmt.Errorf("%s: unexpected output %q: %v", bin, out, err)
	}
	return rep.Results[0], nil
}

// findBenchModule looks for bench/go.mod in the working directory and its
// parents.
func findBenchModule() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, "bench")
		if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
			if _, err := os.Stat(filepath.Join(p, "cmd", "etcdwal")); err == nil {
				return p
			}
		}
		up := filepath.Dir(dir)
		if up == dir {
			return ""
		}
		dir = up
	}
}
