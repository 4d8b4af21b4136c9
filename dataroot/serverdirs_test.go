package dataroot

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/waltool/waltool/serverconfig"
	"github.com/waltool/waltool/vfs"
)

// A config.ini in the shape of Pegasus's own (v2.5.0 src/server/config.ini:
// data_dir = %{app.dir}, slog_dir = %{slog.dir}, data_dirs = %{data.dirs},
// data_dirs_black_list_file = %{home.dir}/...), one %k% macro that only
// the server's -cargs fills (rdsn configuration::load), tags and a black
// list, resolves to the dirs the server's code derives:
//
//   - app_dir = <[core] data_dir>/replica (service_spec::init_app_specs,
//     v2.5.0 src/runtime/global_config.cpp);
//   - slog_dir = <[replication] slog_dir>/replica/slog
//     (replication_options::initialize, v2.5.0 and v2.4.0
//     replication_common.cpp, rdsn v2.3.0 the same);
//   - data dirs = <path>/replica/reps per tag (get_data_dir_and_tag);
//   - minus those whose path + "/" starts with a black-list line
//     (get_data_dirs_in_black_list, check_if_in_black_list).
func TestServerDirsFromConfig(t *testing.T) {
	base := t.TempDir()
	home := filepath.Join(base, "home")
	mkdirs(t, home)
	// The black list excludes ssd3; "ssd1" alone (no slash) must not
	// exclude ssd10: the server appends '/' to both sides.
	if err := os.WriteFile(filepath.Join(home, ".pegasus_data_dirs_black_list"),
		[]byte("  "+filepath.Join(base, "ssd3")+"  \n\n"+filepath.Join(base, "ssd1")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ini := `[apps..default]
  count = 1
[apps.replica]
  type = replica
  name = replica
  count = 1
[core]
  data_dir = %{app.dir}
[replication]
  slog_dir = %{slog.dir}
  data_dirs = ssd10:%base%/ssd10, ssd2 : %base%/ssd2/,ssd3:%base%/ssd3 ; the black list drops ssd3
  data_dirs_black_list_file = %{home.dir}/.pegasus_data_dirs_black_list
`
	cfgPath := filepath.Join(base, "config.ini")
	cargs := "app.dir=" + filepath.Join(base, "app") + ";slog.dir=" + filepath.Join(base, "ssd0") + ";home.dir=" + home + ";base=" + base
	c, err := serverconfig.Parse(cfgPath, []byte(ini), cargs)
	if err != nil {
		t.Fatal(err)
	}
	root, s, err := SettingsFromConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	if root != filepath.Join(base, "app") {
		t.Errorf("[core] data_dir %s", root)
	}
	src, dds, err := ServerDirs(vfs.OS, root, s)
	if err != nil {
		t.Fatal(err)
	}
	if want := base + "/ssd0/replica/slog"; src.SlogDir.Path != want || src.SlogDir.From != FromConfig {
		t.Errorf("slog %+v, want %s from config", src.SlogDir, want)
	}
	want := []DataDir{{"ssd10", base + "/ssd10/replica/reps"}, {"ssd2", base + "/ssd2/replica/reps"}}
	if !reflect.DeepEqual(dds, want) {
		t.Errorf("data dirs %v, want %v", dds, want)
	}
	if len(src.BlackListed) != 1 || src.BlackListed[0].Path != base+"/ssd3/replica/reps" {
		t.Errorf("black listed %+v", src.BlackListed)
	}
	for _, d := range src.DataDirs {
		if d.From != FromConfig || !strings.Contains(d.Detail, "config.ini:11 [replication] data_dirs") {
			t.Errorf("data dir source %+v", d)
		}
	}

	// Unset keys: <data_dir>/replica/{slog,reps}, tag "default".
	c, _ = serverconfig.Parse(cfgPath, []byte("[core]\ndata_dir = "+filepath.Join(base, "app")+"\n[replication]\ndata_dirs_black_list_file =\n"), "")
	root, s, _ = SettingsFromConfig(c)
	src, dds, err = ServerDirs(vfs.OS, root, s)
	if err != nil || src.SlogDir.Path != base+"/app/replica/slog" || !reflect.DeepEqual(dds, []DataDir{{DefaultTag, base + "/app/replica/reps"}}) {
		t.Errorf("defaults: %+v %v %v", src, dds, err)
	}

	// A template whose macros -cargs did not fill is refused, naming them.
	c, _ = serverconfig.Parse(cfgPath, []byte(ini), "")
	if _, _, err := SettingsFromConfig(c); err == nil || !strings.Contains(err.Error(), "%{slog.dir}") {
		t.Errorf("unfilled template: %v", err)
	}
	// Everything black-listed: the server's CHECK "no replica data dir found".
	c, _ = serverconfig.Parse(cfgPath, []byte(ini), cargs+";")
	_, s, _ = SettingsFromConfig(c)
	s.DataDirs.Value = "ssd3:" + base + "/ssd3"
	if _, _, err := ServerDirs(vfs.OS, root, s); err == nil {
		t.Error("no data dir left, accepted")
	}
	// A data_dirs item without a tag: the server's CHECK in initialize.
	s.DataDirs.Value = base + "/ssd3"
	if _, _, err := ServerDirs(vfs.OS, root, s); err == nil {
		t.Error("untagged data_dirs item in a config, accepted")
	}
}

// --slog-dir takes the value of [replication] slog_dir (X means
// X/replica/slog); a dir that itself holds log files, while X/replica/slog
// is not a dir, is read as the slog dir, and the source says so.
func TestServerDirsSlogFlag(t *testing.T) {
	base := t.TempDir()
	logs := filepath.Join(base, "copied")
	mkdirs(t, logs, filepath.Join(base, "ssd0", "replica", "slog"))
	if err := os.WriteFile(filepath.Join(logs, "log.1.0"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	src, _, err := ServerDirs(vfs.OS, base, ServerSettings{SlogDir: Setting{Value: filepath.Join(base, "ssd0"), From: FromFlag, Detail: "--slog-dir"}})
	if err != nil || src.SlogDir.Path != base+"/ssd0/replica/slog" {
		t.Errorf("%+v %v", src.SlogDir, err)
	}
	src, _, err = ServerDirs(vfs.OS, base, ServerSettings{SlogDir: Setting{Value: logs, From: FromFlag, Detail: "--slog-dir"}})
	if err != nil || src.SlogDir.Path != logs || !strings.Contains(src.SlogDir.Detail, "slog dir itself") {
		t.Errorf("%+v %v", src.SlogDir, err)
	}
}

func TestPathCombine(t *testing.T) {
	for in, want := range map[[2]string]string{
		{"/a/", "b"}: "/a/b", {"/a//b/", ""}: "/a/b", {"", "x/"}: "x", {"a/./b", ".."}: "a/./b/..", {"/", ""}: "/",
	} {
		if got := pathCombine(in[0], in[1]); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
