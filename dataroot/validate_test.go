package dataroot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/gpid"
	"github.com/waltool/waltool/vfs"
)

// TestValidateReplica builds one damaged replica per row and expects
// exactly the finding named. Each row cites the Pegasus check mirrored.
func TestValidateReplica(t *testing.T) {
	for _, tc := range []struct {
		name   string
		spec   func(*ReplicaSpec)
		damage func(t *testing.T, dir string)
		sev    finding.Class // finding.None: no finding
		msg    string
	}{
		{name: "healthy"},
		{name: "healthy without checkpoints", spec: func(s *ReplicaSpec) { s.Checkpoints, s.InitInfo.InitDurableDecree = nil, 0 }},
		{ // replica_stub::load_replica: load app-info failed
			name: "missing .app-info", spec: func(s *ReplicaSpec) { s.AppInfo = nil },
			sev: finding.Corrupt, msg: "does not load",
		},
		{ // replica_app_info::load: magic != 0xdeadbeef gives ERR_INVALID_DATA
			name: "bad magic", damage: poke(AppInfoFile, 4, 0),
			sev: finding.Corrupt, msg: "ERR_INVALID_DATA",
		},
		{ // unmarshall(..., DSF_THRIFT_JSON) throws
			name: "bad thrift JSON", damage: poke(AppInfoFile, 12, '['),
			sev: finding.Corrupt, msg: "server aborts",
		},
		{ // "unmatched app type"
			name: "app type", spec: func(s *ReplicaSpec) { s.AppType = "other" },
			sev: finding.Corrupt, msg: `app type "other"`,
		},
		{ // no version compares app_id
			name: "app id", spec: func(s *ReplicaSpec) { s.AppInfo.AppID = 9 },
			sev: finding.Warning, msg: "app id 1, .app-info says 9",
		},
		{ // 2.4/2.5: partition_count < pidx; HEAD: pidx >= partition_count
			name: "pidx == partition_count", spec: func(s *ReplicaSpec) { s.AppInfo.PartitionCount = 2 },
			sev: finding.Warning, msg: "2.4/2.5 load it",
		},
		{
			name: "pidx > partition_count", spec: func(s *ReplicaSpec) { s.AppInfo.PartitionCount = 1 },
			sev: finding.Warning, msg: "no version loads it",
		},
		{ // v2.4.0 dassert_f(path_exists); v2.5.0 ERR_PATH_NOT_FOUND
			name: "missing .init-info", spec: func(s *ReplicaSpec) { s.InitInfo = nil },
			sev: finding.Corrupt, msg: "2.4 aborts",
		},
		{ // json_forwarder decode fails
			name: "bad .init-info", damage: poke(InitInfoFile, 0, '['),
			sev: finding.Corrupt, msg: "moves the replica to .err",
		},
		{ // open_internal: directory_exists(_dir_data)
			name: "missing data/", damage: func(t *testing.T, dir string) { rmAll(t, filepath.Join(dir, "data")) },
			sev: finding.Corrupt, msg: "the app open fails",
		},
		{ // open_internal: last_durable_decree() >= init_durable_decree
			name: "checkpoints lost", damage: func(t *testing.T, dir string) { rmAll(t, filepath.Join(dir, "data", "checkpoint.30")) },
			sev: finding.Corrupt, msg: "durable decree 10 (largest data/checkpoint.<d>) < init_durable_decree 30",
		},
		{ // parse_checkpoints deletes names containing "checkpoint"
			name: "stray checkpoint", damage: func(t *testing.T, dir string) { mkdirs(t, filepath.Join(dir, "data", "checkpoint.030")) },
			sev: finding.Warning, msg: "checkpoint.030",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reps := t.TempDir()
			ai := NewAppInfo("t", 1, 4)
			ii := InitInfo{InitBallot: 3, InitDurableDecree: 30, InitOffsetInPrivateLog: 100}
			spec := ReplicaSpec{Gpid: gpid.Gpid{App: 1, Partition: 2}, AppInfo: &ai, InitInfo: &ii, Checkpoints: []int64{10, 30}}
			if tc.spec != nil {
				tc.spec(&spec)
			}
			dir, err := CreateReplicaDir(vfs.OS, reps, spec)
			if err != nil {
				t.Fatal(err)
			}
			if tc.damage != nil {
				tc.damage(t, dir)
			}
			r, err := Open(Options{Server: Flags(reps, reps)})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Replicas) != 1 {
				t.Fatalf("replicas %v, skipped %v", r.Replicas, r.Skipped)
			}
			got := r.Validate()
			if tc.sev == finding.None {
				if len(got) != 0 {
					t.Errorf("findings %v", got)
				}
				return
			}
			if len(got) != 1 || got[0].Class != tc.sev || !strings.Contains(got[0].Message, tc.msg) {
				t.Errorf("findings %v, want one %s containing %q", got, tc.sev, tc.msg)
			}
		})
	}
}

// poke overwrites one byte of a replica file.
func poke(name string, off int64, b byte) func(*testing.T, string) {
	return func(t *testing.T, dir string) {
		t.Helper()
		f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteAt([]byte{b}, off); err != nil {
			t.Fatal(err)
		}
	}
}

func rmAll(t *testing.T, p string) {
	t.Helper()
	if err := os.RemoveAll(p); err != nil {
		t.Fatal(err)
	}
}

// TestCreateReplicaDir: the generated layout, and no reuse of a dir.
func TestCreateReplicaDir(t *testing.T) {
	reps := filepath.Join(t.TempDir(), "replica", "reps")
	ai := NewAppInfo("t", 5, 4)
	ai.AppType = "custom"
	ii := InitInfo{InitBallot: 1}
	spec := ReplicaSpec{Gpid: gpid.Gpid{App: 5, Partition: 3}, AppInfo: &ai, InitInfo: &ii, Checkpoints: []int64{7, 0}}
	dir, err := CreateReplicaDir(vfs.OS, reps, spec)
	if err != nil {
		t.Fatal(err)
	}
	if dir != filepath.Join(reps, "5.3.custom") {
		t.Errorf("dir %s", dir)
	}
	for _, p := range []string{"plog", "data", "data/checkpoint.0", "data/checkpoint.7", AppInfoFile, InitInfoFile} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Error(err)
		}
	}
	if _, err := CreateReplicaDir(vfs.OS, reps, spec); err == nil {
		t.Error("existing replica dir reused")
	}
	dir, err = CreateReplicaDir(vfs.OS, reps, ReplicaSpec{Gpid: gpid.Gpid{App: 5, Partition: 1}})
	if err != nil || filepath.Base(dir) != "5.1.pegasus" {
		t.Errorf("bare spec: %s, %v", dir, err)
	}
}
