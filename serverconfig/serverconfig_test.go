package serverconfig

import (
	"reflect"
	"strings"
	"testing"
)

// The rules of rdsn's configuration::load (Pegasus v2.5.0
// src/utils/configuration.cpp; v2.4.0 src/rdsn/src/utils/configuration.cpp;
// rdsn v2.3.0 src/utils/configuration.cpp), one per case.
func TestParseLikeConfigurationLoad(t *testing.T) {
	ini := "; a comment\n" +
		"[apps..default]\n  count = 1\n" +
		"[apps.replica]\n  type = replica\n  name = replica\n" +
		"[core]\n" +
		"  data_dir = %app.dir%  # filled by -cargs\n" +
		"\t\r tool = nativerun\n" +
		"[replication]\n" +
		"  slog_dir = %{slog.dir}\n" + // the deployment's macro form
		"  data_dirs = %data.dirs%\n" + // not provided: a value %...% becomes ""
		"  cluster_name = a^#b^;c ; comment\n" +
		"  cluster_name = ignored\n" + // redefinition: the first value stays
		"  bare_key\n" +
		"  empty =\n"
	c, err := Parse("config.ini", []byte(ini), " app.dir = /home/work/app ; slog.dir=/ssd0 ")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ sec, key, want string }{
		{"core", "data_dir", "/home/work/app"},
		{"core", "tool", "nativerun"},
		{"replication", "slog_dir", "/ssd0"},
		{"replication", "data_dirs", ""},
		{"replication", "cluster_name", "a#b;c"},
		{"replication", "bare_key", ""},
		{"replication", "empty", ""},
	} {
		v, ok := c.Get(tc.sec, tc.key)
		if !ok || v.Value != tc.want {
			t.Errorf("[%s] %s = %q (defined %v), want %q", tc.sec, tc.key, v.Value, ok, tc.want)
		}
	}
	if v, _ := c.Get("replication", "cluster_name"); v.Line != 13 {
		t.Errorf("cluster_name from line %d, want 13 (the first definition)", v.Line)
	}
	if names, err := c.ReplicaAppName(); err != nil || !reflect.DeepEqual(names, []string{"replica"}) {
		t.Errorf("app name %v %v", names, err)
	}
	if u := c.Unfilled("replication.slog_dir", "core.data_dir"); len(u) != 0 {
		t.Errorf("unfilled %v", u)
	}
	// "k=" fills the deployment's %{k} with nothing, as run.sh's sed does.
	c3, err := Parse("config.ini", []byte(ini), "slog.dir=")
	if v, _ := c3.Get("replication", "slog_dir"); err != nil || v.Value != "" || len(c3.Unfilled("replication.slog_dir")) != 0 {
		t.Errorf("slog.dir= gives %q %v", v.Value, err)
	}
	c2, _ := Parse("config.ini", []byte(ini), "")
	if u := c2.Unfilled("replication.slog_dir", "core.data_dir"); !reflect.DeepEqual(u, []string{"%{slog.dir}"}) {
		t.Errorf("unfilled without cargs: %v", u)
	}
	if v, _ := c2.Get("core", "data_dir"); v.Value != "" {
		t.Errorf("unprovided %%app.dir%% gives %q, want \"\"", v.Value)
	}
}

func TestParseErrors(t *testing.T) {
	for name, ini := range map[string]string{
		"empty":          "",
		"no section":     "a = b\n",
		"section with =": "[a=b]\n",
		"unclosed":       "[core\n",
		"empty section":  "[ ]\n",
		"redefined":      "[core]\n[core]\n",
		"empty key":      "[core]\n = v\n",
	} {
		if _, err := Parse("x.ini", []byte(ini), ""); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
}

// -cargs: ',' is turned into ';' (configuration::load's std::replace), so
// a data_dirs list with a comma cannot be passed; each item is key=value.
func TestCargs(t *testing.T) {
	got, err := ParseCargs("a=1, b = 2;;c=3")
	if err != nil || !reflect.DeepEqual(got, [][2]string{{"a", "1"}, {"b", "2"}, {"c", "3"}}) {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"a", "a=1=2", "data.dirs=ssd1:/a,ssd2:/b", "=x"} {
		_, err := ParseCargs(bad)
		if err == nil {
			t.Errorf("%q accepted", bad)
		} else if strings.Contains(bad, ",") && !strings.Contains(err.Error(), "comma") {
			t.Errorf("%q: %v does not explain the comma", bad, err)
		}
	}
}

// service_spec::init_app_specs (v2.5.0 src/runtime/global_config.cpp): the
// role is the section name, count inherits from [apps..default].
func TestReplicaAppName(t *testing.T) {
	c, _ := Parse("x", []byte("[apps..default]\ncount = 2\n[apps.rs]\ntype = replica\n"), "")
	if names, err := c.ReplicaAppName(); err != nil || !reflect.DeepEqual(names, []string{"rs1", "rs2"}) {
		t.Errorf("%v %v", names, err)
	}
	c, _ = Parse("x", []byte("[apps.meta]\ntype = meta\n"), "")
	if _, err := c.ReplicaAppName(); err == nil {
		t.Error("a meta-only config has a replica app")
	}
	c, _ = Parse("x", []byte("[replication]\nslog_dir = /a\n"), "")
	if names, _ := c.ReplicaAppName(); !reflect.DeepEqual(names, []string{"replica"}) {
		t.Errorf("fragment: %v", names)
	}
}

// The replica server's port is the lowest of its app's ports, inherited
// from [apps..default] when its own list is empty.
func TestReplicaPort(t *testing.T) {
	for text, want := range map[string]int{
		"[apps.replica]\ntype = replica\nports = 34801\n":                                34801,
		"[apps.rs]\ntype = replica\nports = 34803, 34801\n":                              34801,
		"[apps..default]\nports = 34901\n[apps.replica]\ntype = replica\nports =\n":      34901,
		"[apps.meta]\ntype = meta\nports = 34601\n[apps.r]\ntype = replica\nports = 1\n": 1,
	} {
		c, err := Parse("x", []byte(text), "")
		if err != nil {
			t.Fatal(err)
		}
		if got, _, err := c.ReplicaPort(); err != nil || got != want {
			t.Errorf("%q: %d, %v; want %d", text, got, err, want)
		}
	}
	for _, text := range []string{
		"[apps.replica]\ntype = replica\n",
		"[apps.replica]\ntype = replica\nports = x\n",
		"[apps.replica]\ntype = replica\nports = 70000\n",
		"[apps.replica]\ntype = replica\nports = 34801\ncount = 2\n",
		"[apps.meta]\ntype = meta\nports = 34601\n",
		"[replication]\nslog_dir = /a\n",
	} {
		c, err := Parse("x", []byte(text), "")
		if err != nil {
			t.Fatal(err)
		}
		if got, _, err := c.ReplicaPort(); err == nil {
			t.Errorf("%q: port %d", text, got)
		}
	}
}
