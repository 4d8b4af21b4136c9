package format

import (
	"testing"

	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/internal/refdecode"
)

// What LogWriter writes, across restarts (new files on every open), file
// rotation and a learning reset, passes every writer rule of the
// independent decoder, which was written from the spec alone.
func TestLogWriterPassesIndependentDecoder(t *testing.T) {
	dir := t.TempDir()
	g := gpid.Gpid{App: 5, Partition: 2}
	w := NewLogWriter(dir, 0, 0, []ReplicaLogInfo{{Gpid: g}}, WriterOptions{MaxFileSize: 3000})
	d := int64(0)
	for open := 0; open < 3; open++ {
		for i := 0; i < 25; i++ {
			batch := []*Mutation{}
			for j := 0; j <= i%3; j++ {
				d++
				batch = append(batch, putMutation(g, int64(open+1), d, 40+i))
			}
			if err := w.Append(batch...); err != nil {
				t.Fatal(err)
			}
		}
		w.Close()
		// A restart: the new writer starts a new file after the last one.
		w = NewLogWriter(dir, w.LastIndex(), w.EndOffset(), []ReplicaLogInfo{{Gpid: g, MaxDecree: d}}, WriterOptions{MaxFileSize: 3000})
	}
	ld, err := refdecode.DecodeDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := refdecode.CheckDirWriterRules(ld); err != nil {
		t.Fatal(err)
	}
	if n := len(ld.Mutations()); n != int(d) {
		t.Fatalf("%d mutations decoded, %d written", n, d)
	}
}
