package verify

import (
	"path/filepath"
	"testing"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/fixtures"
)

// BenchmarkRoot verifies a generated data root in bytes of log per second:
// 1 MiB slog files of 32 interleaved replicas and their small plogs (the
// many-small-files case), and 32 MiB files (the few-large-files case).
// Compare with format's BenchmarkCRC32C times the cores used.
//
//	go test ./verify -run XXX -bench Root -benchtime 20x
func BenchmarkRoot(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts fixtures.Options
	}{
		{"1MiB-files", fixtures.Options{Seed: 3, Apps: 2, Replicas: 16, Mutations: 30_000, ValueSize: 1000, SlogFileSize: 1 << 20, PlogFileSize: 4 << 20}},
		{"32MiB-files", fixtures.Options{Seed: 1, Apps: 4, Replicas: 8, Mutations: 60_000, ValueSize: 1000, SlogFileSize: 32 << 20, PlogFileSize: 32 << 20}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			opts := bc.opts
			opts.Out = filepath.Join(b.TempDir(), "root")
			if _, err := fixtures.Generate(opts); err != nil {
				b.Fatal(err)
			}
			root, err := dataroot.Open(dataroot.Options{Root: opts.Out})
			if err != nil {
				b.Fatal(err)
			}
			var bytes int64
			for b.Loop() {
				rep, err := Root(root, Options{})
				if err != nil || !rep.OK {
					b.Fatal(err, rep)
				}
				bytes = 0
				for _, d := range rep.Dirs {
					bytes += d.Bytes
				}
			}
			b.SetBytes(bytes)
		})
	}
}
