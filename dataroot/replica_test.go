package dataroot

import (
	"errors"
	"testing"

	"github.com/waltool/waltool/gpid"
)

// TestParseReplicaDirName: the first rows are HEAD's
// parse_replica_dir_name_tests (src/replica/test/replica_dir_test.cpp);
// the rest pin the canonical-name rule and ≤2.5's sscanf("%d.%d.%s").
func TestParseReplicaDirName(t *testing.T) {
	const (
		ok = iota
		invalid
		nonCanonical
	)
	for _, tc := range []struct {
		name    string
		want    int
		gpid    gpid.Gpid
		appType string
	}{
		{"", invalid, gpid.Gpid{}, ""},
		{"1.2.pegasus", ok, gpid.Gpid{App: 1, Partition: 2}, "pegasus"},
		{"1234.56789.pegasus", ok, gpid.Gpid{App: 1234, Partition: 56789}, "pegasus"},
		{"1.2.another", ok, gpid.Gpid{App: 1, Partition: 2}, "another"},
		{"1.2.another.pegasus", ok, gpid.Gpid{App: 1, Partition: 2}, "another.pegasus"},
		{"1.2.another_pegasus", ok, gpid.Gpid{App: 1, Partition: 2}, "another_pegasus"},
		{"1.pegasus", invalid, gpid.Gpid{}, ""},
		{"pegasus", invalid, gpid.Gpid{}, ""},
		{"1.2a.pegasus", invalid, gpid.Gpid{}, ""},
		{"1.-2.pegasus", nonCanonical, gpid.Gpid{}, ""}, // HEAD rejects it; 2.4's %d reads -2
		{"0.0.pegasus", ok, gpid.Gpid{}, "pegasus"},
		{"2147483647.0.pegasus", ok, gpid.Gpid{App: 2147483647}, "pegasus"},
		{"2147483648.0.pegasus", nonCanonical, gpid.Gpid{}, ""}, // 2.6: uint32, cast to int32
		{"1.2.", invalid, gpid.Gpid{}, ""},
		{"1..pegasus", invalid, gpid.Gpid{}, ""},
		{"08.2.pegasus", nonCanonical, gpid.Gpid{}, ""}, // 2.4: %d reads 8; 2.6: bad octal
		{"0x.2.pegasus", invalid, gpid.Gpid{}, ""},
		{"01.2.pegasus", nonCanonical, gpid.Gpid{}, ""},
		{"+1.2.pegasus", nonCanonical, gpid.Gpid{}, ""},
		{" 1.2.pegasus", nonCanonical, gpid.Gpid{}, ""},
		{"0x1.2.pegasus", nonCanonical, gpid.Gpid{}, ""}, // 2.6: strtoull base 0
		{"slog", invalid, gpid.Gpid{}, ""},
	} {
		g, typ, err := ParseReplicaDirName(tc.name)
		switch tc.want {
		case ok:
			if err != nil || g != tc.gpid || typ != tc.appType {
				t.Errorf("%q: got %v %q %v; want %v %q", tc.name, g, typ, err, tc.gpid, tc.appType)
			}
		case invalid:
			if err == nil || errors.Is(err, ErrNonCanonicalName) {
				t.Errorf("%q: got %v %q %v; want a plain error", tc.name, g, typ, err)
			}
		case nonCanonical:
			if !errors.Is(err, ErrNonCanonicalName) {
				t.Errorf("%q: got %v %q %v; want ErrNonCanonicalName", tc.name, g, typ, err)
			}
		}
	}
}

// TestInvalidSuffix mirrors disk_cleaner is_data_dir_invalid: the last four
// bytes against .err .gar .tmp .ori .bak.
func TestInvalidSuffix(t *testing.T) {
	for name, want := range map[string]bool{
		"1.2.pegasus.1700000000000000.err": true,
		"1.2.pegasus.gar":                  true,
		"1.2.pegasus.tmp":                  true,
		"1.2.pegasus.ori":                  true,
		"1.2.pegasus.bak":                  true,
		".err":                             true,
		"1.2.pegasus":                      false,
		"1.2.pegasus.ERR":                  false,
		"1.2.pegasus.err2":                 false,
		"err":                              false,
	} {
		if _, _, got := invalidSuffix(name); got != want {
			t.Errorf("%q: got %v, want %v", name, got, want)
		}
	}
}
