package benchmark

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// startNeighbour starts writing cfg.Neighbour MiB/s of buffered data (1 MiB a tick) to a
// file in the first dir, wrapping at 1 GiB, and returns how to stop it.
// The kernel writes it back when it likes; syncfs has to write it all.
func startNeighbour(cfg WriteConfig) func() error {
	if cfg.Neighbour <= 0 {
		return func() error { return nil }
	}
	path := filepath.Join(cfg.Dirs[0], fmt.Sprintf("waltool-bench-neighbour-%d", os.Getpid()))
	f, err := os.Create(path)
	if err != nil {
		return func() error { return err }
	}
	quit, done := make(chan struct{}), make(chan error, 1)
	go func() {
		chunk := bytes.Repeat([]byte{'n'}, 1<<20)
		t := time.NewTicker(time.Second / time.Duration(cfg.Neighbour))
		defer t.Stop()
		var off int64
		for {
			select {
			case <-quit:
				done <- nil
				return
			case <-t.C:
			}
			if _, err := f.WriteAt(chunk, off); err != nil {
				done <- err
				return
			}
			off = (off + int64(len(chunk))) % (1 << 30)
		}
	}()
	return func() error {
		close(quit)
		err := <-done
		f.Close()
		os.Remove(path)
		return err
	}
}
