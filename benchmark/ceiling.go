package benchmark

import (
	"errors"
	"io"
	"time"

	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/internal/par"
	"github.com/waltool/waltool/vfs"
)

// ReadAll reads every file in 1 MiB chunks on workers goroutines, running
// CRC-32C over the bytes if crc is set, and returns how long it took.
func ReadAll(files []format.LogFile, workers int, crc bool) (time.Duration, error) {
	start := time.Now()
	errs := make([]error, len(files))
	bufs := make(chan []byte, max(1, workers))
	par.Each(len(files), max(1, workers), func(i int) {
		var buf []byte
		select {
		case buf = <-bufs:
		default:
			buf = make([]byte, 1<<20)
		}
		defer func() { bufs <- buf }()
		errs[i] = readFile(files[i].Path, buf, crc)
	})
	return time.Since(start), errors.Join(errs...)
}

// readFile reads path through buf, running CRC-32C over it if crc is set.
func readFile(path string, buf []byte, crc bool) error {
	f, err := vfs.OS.OpenReadOnly(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var sum uint32
	for {
		n, err := f.Read(buf)
		if crc {
			sum = format.CRC(sum, buf[:n])
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
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
