package format

import (
	"testing"

	"github.com/waltool/waltool/format/rrdb"
)

func TestInternCoversKnownCodes(t *testing.T) {
	for _, c := range rrdb.KnownCodes {
		b := []byte(c)
		if got := internCode(b); got != c {
			t.Fatalf("%s interned as %s", c, got)
		}
		if n := testing.AllocsPerRun(10, func() { internCode(b) }); n != 0 {
			t.Errorf("%s: %v allocations", c, n)
		}
	}
	if internCode([]byte("RPC_SOMETHING_ELSE")) != "RPC_SOMETHING_ELSE" {
		t.Fatal("unknown code")
	}
}
