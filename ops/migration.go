package ops

import (
	"io"

	"github.com/waltool/waltool/dataroot"
	"github.com/waltool/waltool/migrate"
	"github.com/waltool/waltool/pegasus"
	"github.com/waltool/waltool/schema"
)

// MigrateRequest is a migrate command's request: upgrade, downgrade,
// resume, rollback, status.
type MigrateRequest struct {
	Server *Server
	Paths  []string
	// Apply carries the plan out; Force goes on despite the refusals.
	Apply, Force bool
	// SlogArchive is where slog files go ("": beside the slog dir).
	SlogArchive string
	// Rebalance also spreads the replica dirs over the data dirs (upgrade).
	Rebalance bool
	// Target is the version a downgrade is for; Next, its proof's
	// simulated writes; RestoreSlogArchive rolls the last upgrade back
	// instead.
	Target             pegasus.Version
	Next               migrate.NextOptions
	RestoreSlogArchive bool
	// Run is the ID of the run a rollback must undo (rollback --run).
	Run string
}

// migration is one migrate command as it runs: its environment, its
// request, and the report it ends with (the last one it made).
type migration struct {
	*Env
	req    MigrateRequest
	report Report
}

// Upgrade is `waltool migrate upgrade`: the dry run, or with Apply the run.
func Upgrade(env *Env, req MigrateRequest) (Report, error) {
	m := &migration{Env: env, req: req}
	err := m.upgrade()
	return m.report, err
}

// Downgrade is `waltool migrate downgrade --to`.
func Downgrade(env *Env, req MigrateRequest) (Report, error) {
	m := &migration{Env: env, req: req}
	err := m.downgrade()
	return m.report, err
}

// Resume is `waltool migrate resume`.
func Resume(env *Env, req MigrateRequest) (Report, error) {
	m := &migration{Env: env, req: req}
	err := m.resume()
	return m.report, err
}

// Rollback is `waltool migrate rollback`.
func Rollback(env *Env, req MigrateRequest) (Report, error) {
	m := &migration{Env: env, req: req}
	err := m.rollback()
	return m.report, err
}

// Status is `waltool migrate status`.
func Status(env *Env, req MigrateRequest) (Report, error) {
	m := &migration{Env: env, req: req}
	err := m.status()
	return m.report, err
}

// large2 is a bar for an input of total bytes, shown when it is large.
func (m *migration) large2(total int64, what string) Bar { return m.large(what, total) }

// root resolves the single data root of a migrate command.
func (m *migration) root() (*dataroot.Target, error) {
	root, err := m.req.Server.OnePath(m.req.Paths, "ROOT")
	if err != nil {
		return nil, err
	}
	t, err := m.req.Server.Resolve(m.read(), root)
	if err != nil {
		return nil, err
	}
	if t.Root == nil || t.Root.Path == "" || t.Root.SlogDir == "" {
		return nil, Usage("%s is a %s; migrate needs a data root ([core] data_dir): its slog, every replica and its journal", t.Path, t.What())
	}
	return t, nil
}

// UpgradeReport is what migrate upgrade (and resume of an upgrade)
// reports.
type UpgradeReport struct {
	rep  *upgradeReport
	plan *migrate.Plan // the dry run's: its header
}

// Doc is the contract's document.
func (r *UpgradeReport) Doc() schema.Document { return upgradeDoc(r.rep) }

// DowngradeReport is what migrate downgrade (and resume of a downgrade)
// reports.
type DowngradeReport struct {
	rep  *downgradeReport
	plan *migrate.DowngradePlan // the dry run's: what it would do
}

// Doc is the contract's document.
func (r *DowngradeReport) Doc() schema.Document { return downgradeDoc(r.rep) }

// noted is a report whose text is text instead of its own (when set),
// followed by after.
type noted struct {
	Report
	text, after string
}

// WriteText prints text, or the report's own, then after.
func (n *noted) WriteText(w io.Writer) error {
	if n.text != "" {
		if _, err := io.WriteString(w, n.text); err != nil {
			return err
		}
	} else if err := n.Report.WriteText(w); err != nil {
		return err
	}
	_, err := io.WriteString(w, n.after)
	return err
}

// docReport is a document with no text of its own (noted gives it one).
type docReport struct{ doc schema.Document }

func (d *docReport) Doc() schema.Document      { return d.doc }
func (d *docReport) WriteText(io.Writer) error { return nil }
