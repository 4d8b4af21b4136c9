package dataroot_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/fixtures"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/pegasus"
	"github.com/waltool/waltool/replay"
	"github.com/waltool/waltool/serversim"
	"github.com/waltool/waltool/vfs"
)

// The tests of Root.NotOneServer, the rule of rdsn v2.3.0
// mutation_log::create_new_log_file: each new slog file's header lists
// every replica the server has registered, with its valid start offset,
// which is its .init-info init_offset_in_shared_log.

func genRoot(t *testing.T, o fixtures.Options) *fixtures.Manifest {
	t.Helper()
	o.Out = filepath.Join(t.TempDir(), "root")
	m, err := fixtures.Generate(o)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func open(t *testing.T, root, slogDir, dataDirs string) *dataroot.Root {
	t.Helper()
	r, err := dataroot.Open(dataroot.Options{Root: root, Server: dataroot.Flags(slogDir, dataDirs), FS: vfs.ReadOnly(vfs.OS)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func mismatches(fs []finding.Finding) (n int) {
	for _, f := range fs {
		if dataroot.IsNotOneServer(f) {
			n++
		}
	}
	return n
}

// The slog of one generated server with the data dirs of another, in
// every pairing (seeds, sizes, table counts): never taken for one server.
// Each root with its own slog: never a mismatch.
func TestNotOneServerCrossedRoots(t *testing.T) {
	ms := []*fixtures.Manifest{
		genRoot(t, fixtures.Options{Seed: 1}),
		genRoot(t, fixtures.Options{Seed: 2}),
		genRoot(t, fixtures.Options{Seed: 3, Mutations: 300, Disks: 2}),
		genRoot(t, fixtures.Options{Seed: 4, Mutations: 20000, Apps: 3}),
	}
	for i, a := range ms {
		for j, b := range ms {
			fs := open(t, a.Root, a.SlogDir, b.DataDirs).NotOneServer()
			if i == j {
				if len(fs) > 0 {
					t.Errorf("root %d with its own slog: %v", i, fs)
				}
				continue
			}
			if n := mismatches(fs); n == 0 || n != len(fs) {
				t.Errorf("slog of root %d, data dirs of root %d: %d mismatches in %v", i, j, n, fs)
			}
		}
	}
}

// What a real server's root looks like after its partitions come and go
// is one server's: a replica dir removed; a partition moved away (its slog
// mutations stay, orphans) and the server restarted and wrote (the 2.3
// server's new slog file lists the replicas it loaded); a partition moved
// in after the last slog file (on_partition_reset gave it the slog's end);
// the slog archived by an upgrade.
func TestNotOneServerLegitRoots(t *testing.T) {
	m := genRoot(t, fixtures.Options{Seed: 5, Disks: 2})
	must := func(what string) {
		t.Helper()
		if fs := open(t, m.Root, m.SlogDir, m.DataDirs).NotOneServer(); len(fs) > 0 {
			t.Fatalf("%s: %v", what, fs)
		}
	}
	must("as generated")

	if err := os.RemoveAll(m.Replicas[1].Dir); err != nil {
		t.Fatal(err)
	}
	must("a replica dir removed")

	r := open(t, m.Root, m.SlogDir, m.DataDirs)
	res, err := replay.Run(r, replay.Options{Version: pegasus.V23})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Orphans) == 0 {
		t.Fatal("the removed replica's slog mutations should be orphans")
	}
	if _, err := serversim.Write(vfs.OS, r, serversim.Options{Version: pegasus.V23, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	must("the partition moved away, the 2.3 server restarted and wrote")

	d, err := format.OpenDir(vfs.OS, m.SlogDir)
	if err != nil {
		t.Fatal(err)
	}
	last := d.Files[len(d.Files)-1]
	moved := gpid.Gpid{App: 1, Partition: 1}
	if _, err := dataroot.CreateReplicaDir(vfs.OS, r.DataDirs[0].Path, dataroot.ReplicaSpec{Gpid: moved,
		AppInfo:  &dataroot.AppInfo{AppType: "pegasus", AppName: "temp", AppID: 1, PartitionCount: 4, IsStateful: true, MaxReplicaCount: 3, InitPartitionCount: -1},
		InitInfo: &dataroot.InitInfo{InitBallot: 9, InitOffsetInSharedLog: last.StartOffset + last.Size}}); err != nil {
		t.Fatal(err)
	}
	must("a partition moved in after the last slog file")

	archive := m.SlogDir + ".archive"
	if err := os.Rename(m.SlogDir, archive); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(m.SlogDir, 0o755); err != nil {
		t.Fatal(err)
	}
	must("the slog archived by an upgrade")
}

// The rules, one case each, on slog headers written by hand.
func TestNotOneServerRules(t *testing.T) {
	g := gpid.Gpid{App: 1, Partition: 0}
	entry := func(off int64) []format.ReplicaLogInfo {
		return []format.ReplicaLogInfo{{Gpid: g, MaxDecree: 7, ValidStartOffset: off}}
	}
	other := []format.ReplicaLogInfo{{Gpid: gpid.Gpid{App: 9, Partition: 0}}}
	type file struct {
		start   int64
		entries []format.ReplicaLogInfo
	}
	for _, c := range []struct {
		name  string
		files []file
		x     int64 // the replica's init_offset_in_shared_log (each file here is its 60-byte header block)
		want  string
	}{
		{"listed with its offset in every file from it on", []file{{0, entry(0)}, {5000, entry(0)}}, 0, ""},
		{"a file starting exactly at the offset lists it", []file{{0, other}, {5000, entry(5000)}}, 5000, ""},
		{"files older than its last reset list an older offset", []file{{0, entry(0)}, {5000, entry(0)}}, 5050, ""},
		{"files older than its creation do not list it", []file{{0, other}, {5000, other}}, 5050, ""},
		{"a header listing no replica (downgrade's start file) says nothing", []file{{9000, nil}}, 6000, ""},
		{"a newer file does not list it", []file{{0, entry(0)}, {5000, other}}, 0, "log.2.5000 at offset 0 (replica 1.0): the header of this slog file does not list replica 1.0"},
		{"a newer file lists another offset", []file{{0, other}, {5000, entry(100)}}, 4000, "log.2.5000 at offset 0 (replica 1.0): the header of this slog file lists replica 1.0 with valid_start_offset 100"},
		{"the offset is past every slog file", []file{{0, entry(0)}, {5000, entry(0)}}, 5061, "init_offset_in_shared_log 5061, past the end 5060"},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			slogDir := filepath.Join(root, "replica", "slog")
			if err := os.MkdirAll(slogDir, 0o755); err != nil {
				t.Fatal(err)
			}
			for i, f := range c.files {
				_, b := format.NewEncoder(nil, &format.FileHeader{StartOffset: f.start, Entries: f.entries})
				if err := os.WriteFile(filepath.Join(slogDir, format.FileName(int32(i+1), f.start)), b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := dataroot.CreateReplicaDir(vfs.OS, filepath.Join(root, "replica", "reps"), dataroot.ReplicaSpec{Gpid: g,
				AppInfo:  &dataroot.AppInfo{AppType: "pegasus", AppName: "t", AppID: 1, PartitionCount: 4, IsStateful: true, MaxReplicaCount: 3, InitPartitionCount: -1},
				InitInfo: &dataroot.InitInfo{InitBallot: 1, InitOffsetInSharedLog: c.x}}); err != nil {
				t.Fatal(err)
			}
			fs := open(t, root, "", "").NotOneServer()
			switch {
			case c.want == "" && len(fs) > 0:
				t.Fatalf("a mismatch where there is none: %v", fs)
			case c.want != "" && (len(fs) != 1 || !dataroot.IsNotOneServer(fs[0]) || !strings.Contains(fs[0].Error(), c.want)):
				t.Fatalf("want one mismatch saying %q, got %v", c.want, fs)
			}
		})
	}
}
