package benchmark

import (
	"io"
	"sync"
	"time"

	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/vfs"
)

// ReadAll reads every file in 1 MiB chunks on workers goroutines, running
// CRC-32C over the bytes if crc is set, and returns how long it took.
func ReadAll(files []format.LogFile, workers int, crc bool) (time.Duration, error) {
	start := time.Now()
	ch := make(chan format.LogFile)
	errs := make(chan error, len(files))
	var wg sync.WaitGroup
	for i := 0; i < max(1, workers); i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 1<<20)
			var sum uint32
			for lf := range ch {
				f, err := vfs.OS.OpenReadOnly(lf.Path)
				if err != nil {
					errs <- err
					continue
				}
				for {
					n, err := f.Read(buf)
					if crc {
						sum = format.CRC(sum, buf[:n])
					}
					if err == io.EOF {
						break
					}
					if err != nil {
						errs <- err
						break
					}
				}
				f.Close()
			}
			_ = sum
		}()
	}
	for _, f := range files {
		ch <- f
	}
	close(ch)
	wg.Wait()
	close(errs)
	return time.Since(start), <-errs
}

// Ceiling is the physical ceiling of reading a set of log files: every
// byte read and run through CRC-32C on every core, as verify must at
// least do.
type Ceiling struct {
	Files   int     `json:"files"`
	Bytes   int64   `json:"bytes"`
	Cores   int     `json:"cores"`
	Seconds float64 `json:"seconds"`
	GBps    float64 `json:"gbps"`
}

// MeasureCeiling reads and checksums files once on workers goroutines.
func MeasureCeiling(files []format.LogFile, workers int) (Ceiling, error) {
	c := Ceiling{Files: len(files), Bytes: TotalBytes(files), Cores: workers}
	d, err := ReadAll(files, workers, true)
	if err != nil {
		return c, err
	}
	c.Seconds = d.Seconds()
	c.GBps = GBps(c.Bytes, d)
	return c, nil
}

// TotalBytes is the size of files.
func TotalBytes(files []format.LogFile) int64 {
	var n int64
	for _, f := range files {
		n += f.Size
	}
	return n
}

// GBps is bytes per d in GB/s.
func GBps(bytes int64, d time.Duration) float64 { return float64(bytes) / d.Seconds() / 1e9 }
