package migrate

import (
	"github.com/waltool/waltool/finding"
	"github.com/waltool/waltool/replay"
)

// Findings are what makes the plan unsafe to apply as it is: slog gpids
// with no loaded replica. Their mutations are folded nowhere, only
// archived, so a 2.6 server never sees them; a data dir left out of the
// root (no --data-dirs, no --config) looks exactly like that.
func (p *Plan) Findings() []finding.Finding {
	out := []finding.Finding{}
	for _, o := range p.Orphans {
		hint := ""
		if o.Reason == replay.ReasonNoReplicaDir {
			hint = "; a data dir may be missing (" + replay.OrphanHint + ")"
		}
		f := finding.New(finding.Missing, p.SlogDir, "%d slog mutations (decrees %d..%d) of gpid %s are folded nowhere: %s%s",
			o.Mutations, o.MinDecree, o.MaxDecree, o.Gpid, o.Reason, hint)
		out = append(out, f.For(o.Gpid))
	}
	return out
}
