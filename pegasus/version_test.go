package pegasus

import "testing"

func TestParseVersion(t *testing.T) {
	if _, err := ParseVersion("2.2"); err == nil {
		t.Fatal("2.2 accepted")
	}
	if v, err := ParseVersion("2.6"); err != nil || v != V26 {
		t.Fatal(v, err)
	}
}

func TestParseVersionPatchLevel(t *testing.T) {
	for in, want := range map[string]Version{"2.6.0": V26, "v2.4.1": V24, "2.3": V23, " 2.5.12 ": V25} {
		if v, err := ParseVersion(in); err != nil || v != want {
			t.Errorf("%q: %q, %v", in, v, err)
		}
	}
	for _, in := range []string{"2.7", "2.6.x", "2.6.0.1", "3", ""} {
		if _, err := ParseVersion(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
