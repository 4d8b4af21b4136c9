package finding_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/format"
	"github.com/waltool/waltool/gpid"
)

// The JSON shape every command prints: the class under the key scripts
// already read ("severity"), the offset (-1 when not about a position)
// and the gpid when the finding belongs to a replica.
func TestJSONShape(t *testing.T) {
	f := finding.New(finding.Corrupt, "/r/1.4.pegasus/plog/log.2.100", "block %d: crc mismatch", 3).At(551).For(gpid.Gpid{App: 1, Partition: 4})
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"severity":"corrupt","path":"/r/1.4.pegasus/plog/log.2.100","offset":551,"gpid":"1.4","message":"block 3: crc mismatch"}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	b, _ = json.Marshal(finding.New(finding.Warning, "/r", "x"))
	if want := `{"severity":"warning","path":"/r","offset":-1,"message":"x"}`; string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	var back finding.Finding
	if err := json.Unmarshal([]byte(`{"severity":"torn-tail","path":"p","offset":7,"gpid":"2.0"}`), &back); err != nil ||
		back.Class != finding.TornTail || back.Gpid == nil || *back.Gpid != (gpid.Gpid{App: 2}) {
		t.Fatalf("%+v %v", back, err)
	}
}

// A codec error is located where the reader failed; an error nobody
// located is waltool failing to read, class Error, never "ok".
func TestFromLocatesCodecErrors(t *testing.T) {
	cause := &format.Error{File: "log.1.0", Offset: 436, Block: 3, MutationOffset: -1, Class: finding.Corrupt, Err: format.ErrCRCMismatch}
	f := finding.From(fmt.Errorf("plog replay failed: %w", cause), "elsewhere")
	if f.Class != finding.Corrupt || f.Path != "log.1.0" || f.Offset != 436 || !errors.Is(f, format.ErrCRCMismatch) {
		t.Fatalf("%+v", f)
	}
	io := finding.From(errors.New("permission denied"), "/r/.init-info")
	if io.Class != finding.Error || io.Path != "/r/.init-info" || io.Offset != -1 || !io.Class.Fatal() {
		t.Fatalf("%+v", io)
	}
	inner := finding.New(finding.Corrupt, "log.3.0", "missing index 2")
	if got := finding.From(fmt.Errorf("wrapped: %w", inner), "x"); got.Path != "log.3.0" || got.Message != "missing index 2" {
		t.Fatalf("%+v", got)
	}
}

func TestClassOrderAndFatal(t *testing.T) {
	fs := []finding.Finding{{Class: finding.Warning}, {Class: finding.TornTail}}
	if finding.Worst(fs) != finding.TornTail || finding.AnyFatal(fs) {
		t.Fatal("torn tails and warnings are not fatal")
	}
	if !finding.AnyFatal(append(fs, finding.Finding{Class: finding.Corrupt})) || finding.Worst(nil) != finding.None {
		t.Fatal("corrupt is fatal; nothing is none")
	}
	if finding.None.String() != "ok" || finding.Missing.String() != "missing" || !finding.Missing.Fatal() {
		t.Fatal(finding.None, finding.Missing)
	}
}
